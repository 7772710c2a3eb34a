"""The member service log: complaints and after-sales cases per member, owned by staff."""
