"""The Management API (`/api/v2`)."""
