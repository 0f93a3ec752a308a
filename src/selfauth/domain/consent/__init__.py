"""User consent: the grants users give third-party applications for an API's scopes."""
