"""Column types that keep money exact and times timezone-aware UTC on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["MONEY_PRECISION", "MONEY_SCALE", "Money", "UTCDateTime", "format_decimal"]

MONEY_PRECISION = 36  # total significant digits
MONEY_SCALE = 18  # digits after the decimal point
_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
_MAX_ABS = Decimal(10) ** (MONEY_PRECISION - MONEY_SCALE)
_CONTEXT = Context(prec=MONEY_PRECISION + 2)  # the default 28 digits cannot hold NUMERIC(36, 18)


def format_decimal(value: Decimal) -> str:
    """Return ``value`` in plain notation without trailing zeros (``1E-8`` → ``0.00000001``)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _canonical(value: Decimal) -> Decimal:
    # Drop the trailing zeros NUMERIC(36, 18) adds, so values read back equal what was written.
    return Decimal(format_decimal(value))


class Money(TypeDecorator[Decimal]):
    """Exact decimal: ``NUMERIC(36, 18)`` on PostgreSQL, canonical text on SQLite.

    SQLite has no exact decimal type (its NUMERIC affinity converts to binary floating point), so
    values are stored there as plain-notation strings. On both backends values are rounded half
    away from zero to 18 decimal places, values with 18 or more integer digits are rejected, and
    NaN / infinity are rejected.
    """

    impl = Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(MONEY_PRECISION, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money value must be a Decimal, got {type(value).__name__}")
        if not value.is_finite():
            raise ValueError(f"money value must be finite, got {value}")
        try:
            rounded = value.quantize(_QUANTUM, rounding=ROUND_HALF_UP, context=_CONTEXT)
        except InvalidOperation:
            rounded = None
        if rounded is None or rounded.copy_abs() >= _MAX_ABS:
            raise ValueError(
                f"money value {value} exceeds NUMERIC({MONEY_PRECISION}, {MONEY_SCALE})"
            )
        if dialect.name == "sqlite":
            return format_decimal(rounded)
        return rounded

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite: written canonical by process_bind_param
            return Decimal(value)
        return _canonical(value)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamp: ``timestamptz`` on PostgreSQL, UTC text on SQLite.

    Naive datetimes are rejected on write (they have no defined instant); aware ones are converted
    to UTC. Values always come back as aware UTC datetimes, on SQLite too.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"timestamp must be a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamp {value.isoformat()} is naive; pass an aware UTC datetime")
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite compares the stored text, so store one fixed-width UTC form without offset.
            return utc.replace(tzinfo=None)
        return utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
