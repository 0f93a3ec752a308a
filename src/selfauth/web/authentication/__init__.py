"""The Authentication API: token endpoint, discovery, keys."""
