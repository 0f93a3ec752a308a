"""The dashboard's administrators: who may use /admin."""
