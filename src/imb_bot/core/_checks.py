"""Config validation helpers: errors name the field, the expected and the actual value."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

__all__ = ["require", "require_aware"]


def require(condition: bool, field: str, expected: str, actual: object) -> None:
    """Raise ``ValueError("<field> must be <expected>, got <actual>")`` unless ``condition``."""
    if not condition:
        shown = str(actual) if isinstance(actual, Decimal) else repr(actual)
        raise ValueError(f"{field} must be {expected}, got {shown}")


def require_aware(value: datetime, field: str) -> None:
    """Raise ``ValueError`` unless ``value`` is timezone-aware (core times are UTC)."""
    require(value.utcoffset() is not None, field, "a timezone-aware UTC datetime", value)
