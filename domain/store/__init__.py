"""Adapters: the only package that imports sqlalchemy or redis."""
