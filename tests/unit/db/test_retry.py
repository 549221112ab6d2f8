"""Retry policy: bounded exponential backoff, and which errors are worth retrying."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from imb_bot.db.store import RetryPolicy, is_transient


class FakeDriverError(Exception):
    """A DBAPI error carrying a SQLSTATE, like psycopg's."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def test_backoff_when_growing_is_capped_by_max() -> None:
    policy = RetryPolicy(attempts=6, initial_backoff_s=0.1, max_backoff_s=0.5, multiplier=2)
    assert [policy.backoff_s(n) for n in range(1, 6)] == [0.1, 0.2, 0.4, 0.5, 0.5]


def test_retry_policy_when_zero_attempts_raises_value_error() -> None:
    with pytest.raises(ValueError, match="attempts must be >= 1, got 0"):
        RetryPolicy(attempts=0)


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("SELECT 1", {}, Exception("database is locked")),
        ProgrammingError("SELECT 1", {}, FakeDriverError("40001")),  # serialization failure
        ProgrammingError("SELECT 1", {}, FakeDriverError("40P01")),  # deadlock
        ProgrammingError("SELECT 1", {}, FakeDriverError("08006")),  # connection failure
        ProgrammingError("SELECT 1", {}, Exception("gone"), connection_invalidated=True),
        PoolTimeoutError("pool exhausted"),
    ],
)
def test_is_transient_when_connection_or_lock_error_returns_true(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        IntegrityError("INSERT", {}, FakeDriverError("23505")),
        DataError("INSERT", {}, FakeDriverError("22003")),
        ProgrammingError("SELECT", {}, FakeDriverError("42P01")),  # undefined table
        ValueError("bug"),
    ],
)
def test_is_transient_when_data_or_schema_error_returns_false(error: Exception) -> None:
    assert not is_transient(error)
