"""Exports for finance (points liability) and BI: members, ledger and purchases as CSV, streamed."""
