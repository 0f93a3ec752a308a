"""OAuth 2.0 protocol logic on plain data: client authentication, grants, JWTs."""
