"""Clients (applications), their grants to APIs, and how their secrets are kept."""
