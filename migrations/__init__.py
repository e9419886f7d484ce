"""Alembic migrations: the only way tronwatch's schema changes."""
