"""Server-rendered pages: the login page, error pages, logout."""
