"""The tenant's signing keys."""
