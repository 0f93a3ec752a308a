"""Users: the profile, its metadata rules, its projections and the service that changes it."""
