"""Decimal helpers for the simulator ledger: parsing, step rounding and Binance string format."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "EIGHT_PLACES",
    "ZERO",
    "ceil_to_step",
    "floor_to_step",
    "fmt",
    "from_float",
    "is_multiple",
    "parse_decimal",
    "round_to_step",
]

ZERO = Decimal(0)
EIGHT_PLACES = Decimal("0.00000001")


def parse_decimal(text: str) -> Decimal | None:
    """Parse a plain decimal string (``"0.001"``, ``"5"``); None if it is not one."""
    if not text or len(text) > 42:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return value


def fmt(value: Decimal) -> str:
    """Render like Binance: at least eight decimal places, more only if the value needs them."""
    text = format(value, "f")
    dot = text.find(".")
    if dot < 0:
        return text + ".00000000"
    places = len(text) - dot - 1
    if places > 8:
        text = text.rstrip("0")
        places = len(text) - dot - 1
    return text + "00000000"[places:] if places < 8 else text


def from_float(value: float, step: Decimal) -> Decimal:
    """Convert a float price to a Decimal rounded to ``step`` (half up)."""
    return round_to_step(Decimal(repr(value)), step)


def round_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Round to the nearest multiple of ``step`` (half up)."""
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Round down to a multiple of ``step``."""
    return (value / step).quantize(Decimal(1), rounding=ROUND_FLOOR) * step


def ceil_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Round up to a multiple of ``step``."""
    return (value / step).quantize(Decimal(1), rounding=ROUND_CEILING) * step


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """Return True if ``value`` is an exact multiple of ``step`` (a zero step allows anything)."""
    if step == ZERO:
        return True
    return value % step == ZERO
