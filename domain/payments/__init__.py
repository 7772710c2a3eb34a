"""Points as payment: quote, authorize (hold the oldest lots), capture (a ledger debit), release."""
