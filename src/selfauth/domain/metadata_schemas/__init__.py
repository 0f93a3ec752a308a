"""Optional JSON Schemas for user_metadata and app_metadata (issue 20, our addition)."""
