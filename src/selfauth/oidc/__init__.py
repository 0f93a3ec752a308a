"""OpenID Connect: discovery and published keys."""
