"""Background job runs: what staff see of them and how they ask for one."""
