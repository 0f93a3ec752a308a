"""OAuth 2.0 protocol logic on plain data: the error codes, reading client credentials, PKCE,
scope parameters, and signing and checking JWTs."""
