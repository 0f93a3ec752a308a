"""Connections: where users come from (database, upstream OAuth2) and their policies."""
