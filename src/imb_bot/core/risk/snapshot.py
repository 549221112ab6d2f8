"""The account snapshot the risk manager decides on: plain values, built by the caller."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from imb_bot.core._checks import require_aware

__all__ = ["PositionExposure", "RiskSnapshot"]


@dataclass(frozen=True, slots=True)
class PositionExposure:
    """One open position as risk sees it."""

    quantity: Decimal  # base held
    value_quote: Decimal  # quantity x mark price, in quote


@dataclass(frozen=True, slots=True)
class RiskSnapshot:
    """Account state at decision time ``now``; every amount is in the configured quote asset.

    ``trades_today`` and ``realized_pnl_today_quote`` start from 0 at 00:00 UTC: the caller owns
    the day boundary of these numbers, the risk manager only reads them.
    """

    now: datetime  # decision time, timezone-aware UTC
    equity_quote: Decimal  # cash plus positions at mark
    cash_quote: Decimal  # free quote balance
    positions: Mapping[str, PositionExposure] = field(default_factory=dict)  # open, non-dust
    realized_pnl_today_quote: Decimal = Decimal(0)  # since 00:00 UTC, net of fees
    unrealized_pnl_quote: Decimal = Decimal(0)  # open positions at mark vs average entry
    trades_today: int = 0  # orders sent since 00:00 UTC (entries and exits)
    last_trade_time: Mapping[str, datetime] = field(default_factory=dict)  # last order per symbol
    recent_order_times: Sequence[datetime] = ()  # submit times of recent orders, oldest first

    def __post_init__(self) -> None:
        require_aware(self.now, "now")

    @property
    def daily_pnl_quote(self) -> Decimal:
        """Realized today plus unrealized: what the daily-loss limit is measured on."""
        return self.realized_pnl_today_quote + self.unrealized_pnl_quote
