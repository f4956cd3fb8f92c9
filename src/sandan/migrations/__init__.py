"""Alembic migrations; run with ``sandan db upgrade``."""
