"""History cursors: opaque, round-trip exactly, and reject anything else."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from imb_bot.db.history import Cursor, InvalidCursorError, decode_cursor, encode_cursor

times = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.just(UTC),
)


@given(at=times, row_id=st.integers(min_value=1, max_value=2**63 - 1))
def test_decode_cursor_when_encoded_returns_same_key(at: datetime, row_id: int) -> None:
    text = encode_cursor(Cursor(at=at, id=row_id))
    assert decode_cursor(text) == Cursor(at=at, id=row_id)
    assert "=" not in text
    assert text.isascii()


def test_encode_cursor_when_offset_time_normalises_to_utc() -> None:
    at = datetime(2024, 1, 1, 3, 0, tzinfo=timezone(timedelta(hours=3)))
    assert decode_cursor(encode_cursor(Cursor(at=at, id=7))).at == datetime(2024, 1, 1, tzinfo=UTC)


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "!!!",
        _b64("not json"),
        _b64('["2024-01-01T00:00:00+00:00"]'),
        _b64('["2024-01-01T00:00:00", 5]'),  # naive time
        _b64('["2024-01-01T00:00:00+00:00", "5"]'),
        _b64('["2024-01-01T00:00:00+00:00", 0]'),
        _b64('["2024-01-01T00:00:00+00:00", true]'),
        _b64('["2024-01-01T00:00:00+00:00", 9223372036854775808]'),
        _b64('{"at": 1}'),
        _b64("[1, 2]"),
    ],
)
def test_decode_cursor_when_not_produced_by_api_raises_invalid_cursor(text: str) -> None:
    with pytest.raises(InvalidCursorError, match="invalid cursor"):
        decode_cursor(text)
