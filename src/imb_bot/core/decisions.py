"""Decision values returned by risk checks and order building: ``Approved`` or ``Rejected``.

A rejection is a value with a reason code and the numbers behind it, never an exception, so that
callers can persist, count and show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = ["APPROVED", "Approved", "Decision", "RejectCode", "Rejected"]


class RejectCode(StrEnum):
    """Why a signal or order was not sent. Stable strings: they are persisted and counted."""

    # Risk manager: trading state.
    TRADING_HALTED = "TRADING_HALTED"  # state HALTED: nothing but cancels
    REDUCING_ONLY = "REDUCING_ONLY"  # state REDUCING: only exits
    # Risk manager: limits.
    DAILY_LOSS_LIMIT = "DAILY_LOSS_LIMIT"
    MAX_TRADES_PER_DAY = "MAX_TRADES_PER_DAY"
    MAX_OPEN_POSITIONS = "MAX_OPEN_POSITIONS"
    ORDER_NOTIONAL_EXCEEDS_MAX = "ORDER_NOTIONAL_EXCEEDS_MAX"
    POSITION_NOTIONAL_EXCEEDS_MAX = "POSITION_NOTIONAL_EXCEEDS_MAX"
    MIN_TRADE_INTERVAL = "MIN_TRADE_INTERVAL"
    ORDER_RATE_LIMIT = "ORDER_RATE_LIMIT"
    # Execution (sizing against balances and exchange filters).
    NOT_ACTIONABLE = "NOT_ACTIONABLE"  # a HOLD signal
    INVALID_PRICE = "INVALID_PRICE"  # reference price <= 0
    PRICE_OUT_OF_RANGE = "PRICE_OUT_OF_RANGE"  # limit price outside PRICE_FILTER min/max
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    QUANTITY_BELOW_MIN = "QUANTITY_BELOW_MIN"
    NOTIONAL_BELOW_MIN = "NOTIONAL_BELOW_MIN"


@dataclass(frozen=True, slots=True)
class Approved:
    """The signal or order may proceed."""


APPROVED: Final = Approved()


@dataclass(frozen=True, slots=True)
class Rejected:
    """The signal or order must not be sent; ``message`` carries the numbers."""

    code: RejectCode
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


Decision = Approved | Rejected
