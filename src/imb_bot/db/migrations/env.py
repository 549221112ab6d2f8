"""Alembic environment of the store; run through :mod:`imb_bot.db.migrate` or ``imb-bot db``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from imb_bot.db.engine import create_store_engine
from imb_bot.db.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs need table copies
        compare_type=True,
        transaction_per_migration=True,
    )


def run_migrations_online() -> None:
    """Run migrations on the connection given by the caller, or on a new one to the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: pass one to imb_bot.db.migrate functions")
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run them against a database")
run_migrations_online()
