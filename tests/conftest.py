"""Shared pytest configuration and database fixtures.

Database fixtures run each test on SQLite and on PostgreSQL:

* ``database_url`` — an empty database (no tables) as a SQLAlchemy URL string, fresh per test:
  a temporary SQLite file, or a fresh schema in this session's PostgreSQL database;
* ``migrated_url`` — the same, migrated to the newest schema;
* ``store`` — a :class:`~imb_bot.db.Store` on ``migrated_url`` with fast retries.

PostgreSQL comes from ``IMB_TEST_DATABASE_URL`` (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); a database of its own is created for the
session and dropped at the end, so parallel sessions never collide. Without the variable the
PostgreSQL cases are skipped with the reason shown; with ``CI=true`` a missing variable or an
unreachable server fails them instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from imb_bot.db.migrate import upgrade_to_head
from imb_bot.db.store import RetryPolicy, Store

POSTGRES_URL_ENV = "IMB_TEST_DATABASE_URL"
FAST_RETRY = RetryPolicy(attempts=3, initial_backoff_s=0.0, max_backoff_s=0.0)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _url_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[URL]:
    """A PostgreSQL database created for this test session (dropped afterwards)."""
    raw = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not raw:
        message = (
            f"{POSTGRES_URL_ENV} is not set: PostgreSQL tests need a server, e.g. "
            f"{POSTGRES_URL_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
        if _in_ci():
            pytest.fail(f"CI=true and {message}", pytrace=False)
        pytest.skip(message)
    server = make_url(raw)
    admin = create_engine(server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"imb_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as exc:
        admin.dispose()
        pytest.fail(
            f"PostgreSQL at {server.render_as_string(hide_password=True)} "
            f"({POSTGRES_URL_ENV}) is unreachable: {exc.orig}",
            pytrace=False,
        )
    try:
        yield server.set(database=name)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests get copies of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no tables), fresh for each test, on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    session_url: URL = request.getfixturevalue("postgres_session_url")
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(session_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield _url_string(session_url.update_query_dict({"options": f"-csearch_path={schema}"}))
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        admin.dispose()


@pytest.fixture
def backend(database_url: str) -> str:
    """``sqlite`` or ``postgresql``: the backend of this test case."""
    return make_url(database_url).get_backend_name()


@pytest.fixture
def migrated_url(database_url: str, request: pytest.FixtureRequest) -> str:
    """``database_url`` migrated to the newest schema."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, url.database)
    else:
        upgrade_to_head(database_url)
    return database_url


@pytest.fixture
def store(migrated_url: str) -> Iterator[Store]:
    """A store on a freshly migrated database, retrying without waiting."""
    store = Store.from_url(migrated_url, retry=FAST_RETRY)
    try:
        yield store
    finally:
        store.close()
