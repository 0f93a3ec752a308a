"""SQL storage: SQLAlchemy Core tables, one repository per aggregate, Alembic migrations."""
