"""Bulk imports from an old system (CLI only): purchases here; members have their own module."""
