"""Persistence: SQLAlchemy 2 models, repositories / unit of work, Alembic migrations.

May import ``core`` and ``config``. Money columns are NUMERIC; times are timezone-aware UTC.
"""
