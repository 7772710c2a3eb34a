"""Member privacy: consent history, data export, erasure and the audit trail of staff reads."""
