"""Business rules and use cases. Imports only the standard library (store/ is the exception)."""
