"""Build SQLAlchemy engines for the store: SQLite (WAL, busy timeout) or PostgreSQL (psycopg 3)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from imb_bot.db.types import format_decimal

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "create_store_engine", "json_dumps"]

SQLITE_BUSY_TIMEOUT_MS = 5_000  # how long a SQLite writer waits for another writer's lock
POSTGRES_CONNECT_TIMEOUT_S = 5  # fail fast (then retry) instead of hanging on a dead host
IMMEDIATE = "imb_sqlite_begin_immediate"  # execution option: take the write lock at BEGIN


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return format_decimal(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_dumps(value: object) -> str:
    """Serialise JSON payloads: Decimals as plain strings, datetimes ISO-8601, enums by value."""
    return json.dumps(value, default=_json_default, separators=(",", ":"), sort_keys=True)


def create_store_engine(
    url: str | URL, *, sqlite_synchronous: str = "FULL", **kwargs: Any
) -> Engine:
    """Create an engine for ``url`` with the store's connection settings.

    SQLite (``sqlite:///path``): WAL journal (readers never block the writer), a busy timeout of
    ``SQLITE_BUSY_TIMEOUT_MS``, foreign keys on, ``synchronous`` as given (FULL: a committed
    transaction survives power loss; NORMAL: survives a process crash only), and real
    transactions whose ``BEGIN`` SQLAlchemy controls. PostgreSQL: a connect timeout so an
    unreachable server fails fast and is retried by the store.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    options: dict[str, Any] = {"json_serializer": json_dumps}
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("the store needs a SQLite file URL (sqlite:///path), not :memory:")
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    elif backend == "postgresql" and "connect_timeout" not in parsed.query:
        options["connect_args"] = {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}
    options.update(kwargs)
    engine = create_engine(parsed, **options)
    if backend == "sqlite":
        _configure_sqlite(engine, sqlite_synchronous)
    return engine


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError(
            f"sqlite_synchronous must be OFF, NORMAL, FULL or EXTRA, got {synchronous}"
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit BEGIN is unreliable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the lock up front, so busy_timeout applies instead of a mid-transaction
        # SQLITE_BUSY when a read must be upgraded to a write.
        if connection.get_execution_options().get(IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
