"""The per-member response cache of persisted queries: what may be cached and what it depends on."""
