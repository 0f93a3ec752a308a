"""HTTP only: parse, authorize, call a service or flow, render."""
