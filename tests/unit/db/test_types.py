"""Column types: money formatting and rounding, UTC conversion, per dialect (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from imb_bot.db.types import Money, UTCDateTime, format_decimal

SQLITE = sqlite.dialect()
POSTGRES = postgresql.dialect()  # type: ignore[no-untyped-call]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1E-8"), "0.00000001"),
        (Decimal("1E+3"), "1000"),
        (Decimal("60000.500"), "60000.5"),
        (Decimal("-0.000"), "0"),
        (Decimal("0"), "0"),
        (Decimal("-1.10"), "-1.1"),
    ],
)
def test_format_decimal_when_any_exponent_returns_plain_notation(value: Decimal, text: str) -> None:
    assert format_decimal(value) == text


def test_money_bind_when_sqlite_stores_canonical_text() -> None:
    assert Money().process_bind_param(Decimal("1.50"), SQLITE) == "1.5"


def test_money_bind_when_postgres_passes_rounded_decimal() -> None:
    bound = Money().process_bind_param(Decimal("1.0000000000000000005"), POSTGRES)
    assert bound == Decimal("1.000000000000000001")


def test_money_bind_when_float_given_raises_type_error() -> None:
    with pytest.raises(TypeError, match="must be a Decimal, got float"):
        Money().process_bind_param(0.1, SQLITE)  # type: ignore[arg-type]


def test_money_result_when_trailing_zeros_returns_canonical_decimal() -> None:
    result = Money().process_result_value(Decimal("0.500000000000000000"), POSTGRES)
    assert str(result) == "0.5"


def test_utc_bind_when_offset_given_converts_to_utc() -> None:
    local = datetime(2024, 1, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    assert UTCDateTime().process_bind_param(local, POSTGRES) == datetime(2024, 1, 1, tzinfo=UTC)
    assert UTCDateTime().process_bind_param(local, SQLITE) == datetime(2024, 1, 1)


def test_utc_result_when_sqlite_naive_returns_aware_utc() -> None:
    stored = datetime(2024, 1, 1, 12, 0)
    assert UTCDateTime().process_result_value(stored, SQLITE) == datetime(
        2024, 1, 1, 12, 0, tzinfo=UTC
    )


def test_utc_bind_when_naive_raises_value_error() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2024, 1, 1), SQLITE)
