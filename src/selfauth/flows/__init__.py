"""Use cases that span areas: the token grants, /authorize and the login page, sign-up, the
hooks of a login, and import and export jobs."""
