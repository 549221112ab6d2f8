"""Retries and StoreUnavailable: unreachable databases, dropped tables, transient errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from imb_bot.config import TradingMode
from imb_bot.db import HistoryFilter, RetryPolicy, Store, StoreUnavailable
from imb_bot.db.engine import create_store_engine
from imb_bot.db.testing import make_order

RETRY = RetryPolicy(attempts=3, initial_backoff_s=0.01, max_backoff_s=0.5, multiplier=3)


class SleepRecorder:
    """Stands in for time.sleep and remembers the waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _unreachable_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-dir' / 'store.sqlite3'}"
    return "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"  # closed port


def test_record_intent_when_database_unreachable_raises_after_bounded_retries(
    backend: str, tmp_path: Path
) -> None:
    # Arrange
    sleep = SleepRecorder()
    store = Store(
        create_store_engine(_unreachable_url(backend, tmp_path)), retry=RETRY, sleep=sleep
    )

    # Act / Assert
    try:
        with pytest.raises(StoreUnavailable, match="unavailable after 3 attempts"):
            store.record_intent(make_order(), TradingMode.PAPER)
    finally:
        store.close()
    assert sleep.waits == [0.01, pytest.approx(0.03)]


def test_record_intent_when_table_dropped_raises_store_unavailable(store: Store) -> None:
    # Arrange
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE order_events")

    # Act / Assert
    with pytest.raises(StoreUnavailable, match="order_events"):
        store.record_intent(make_order(), TradingMode.PAPER)
    assert store.load_order(make_order().client_order_id) is None  # the order row rolled back


def test_record_intent_when_connection_fails_once_retries_and_succeeds(migrated_url: str) -> None:
    # Arrange
    sleep = SleepRecorder()
    store = Store(create_store_engine(migrated_url), retry=RETRY, sleep=sleep)
    failures = iter([OperationalError("INSERT", {}, ConnectionResetError("server closed"))])

    def fail_once(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "INSERT INTO ORDERS" in statement.upper():
            failure = next(failures, None)
            if failure is not None:
                raise failure

    event.listen(store.engine, "before_cursor_execute", fail_once)

    # Act
    try:
        created = store.record_intent(make_order(), TradingMode.PAPER)
        loaded = store.load_order(make_order().client_order_id)
    finally:
        store.close()

    # Assert
    assert created
    assert loaded is not None
    assert sleep.waits == [0.01]


def test_history_read_when_database_unreachable_raises_store_unavailable(
    backend: str, tmp_path: Path
) -> None:
    store = Store.from_url(_unreachable_url(backend, tmp_path))
    try:
        with pytest.raises(StoreUnavailable, match="cannot serve this read"):
            store.history.list_orders(HistoryFilter())
    finally:
        store.close()
