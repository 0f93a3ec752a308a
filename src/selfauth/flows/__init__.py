"""Use cases that span areas: token issuance, bootstrap."""
