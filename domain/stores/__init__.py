"""Stores: what happened at one store over a period (the per-store report clerks and HQ read)."""
