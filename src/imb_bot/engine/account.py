"""The trading account seen by the loop: portfolio, marks, day counters, exit levels.

Builds the :class:`RiskSnapshot` the risk manager decides on. Day counters roll over at 00:00 UTC
of the decision time (market time), so live and backtest count the same way.
"""

from __future__ import annotations

from collections import deque
from datetime import date, datetime
from decimal import Decimal

from imb_bot.core.exits import ExitLevels
from imb_bot.core.portfolio import Portfolio
from imb_bot.core.risk import PositionExposure, RiskSnapshot

_ZERO = Decimal(0)


class Account:
    """Mutable account state shared by the symbol loops of one bot (single event loop)."""

    def __init__(self, portfolio: Portfolio) -> None:
        self.portfolio = portfolio
        self.marks: dict[str, Decimal] = {}
        self.exit_levels: dict[str, ExitLevels] = {}
        self.last_trade_time: dict[str, datetime] = {}
        self._recent_orders: deque[datetime] = deque(maxlen=1000)
        self._day: date | None = None
        self._net_realized_at_day_start = _ZERO
        self._trades_today = 0

    def _net_realized(self) -> Decimal:
        return self.portfolio.realized_pnl_quote - self.portfolio.fees_quote

    def _roll_day(self, now: datetime) -> None:
        today = now.date()
        if self._day != today:
            self._day = today
            self._net_realized_at_day_start = self._net_realized()
            self._trades_today = 0

    def seed_today(
        self, today: date, net_realized_at_day_start: Decimal, orders_today: int
    ) -> None:
        """Continue today's counters after a restart (else a restart would reset the daily loss)."""
        self._day = today
        self._net_realized_at_day_start = net_realized_at_day_start
        self._trades_today = orders_today

    def note_order_sent(self, symbol: str, now: datetime) -> None:
        """Count an order sent at ``now`` (market time) for the daily and rate limits."""
        self._roll_day(now)
        self._trades_today += 1
        self.last_trade_time[symbol] = now
        self._recent_orders.append(now)

    def mark(self, symbol: str) -> Decimal:
        """Latest mark price of ``symbol`` (falls back to the average entry)."""
        mark = self.marks.get(symbol)
        if mark is not None:
            return mark
        entry = self.portfolio.position(symbol).average_entry_price
        return entry if entry is not None else _ZERO

    def equity(self) -> Decimal:
        """Quote cash plus every position at its mark."""
        marks = {symbol: self.mark(symbol) for symbol in self.portfolio.positions}
        return self.portfolio.equity(marks)

    def snapshot(self, now: datetime) -> RiskSnapshot:
        """Return the account as the risk manager sees it at ``now``."""
        self._roll_day(now)
        positions = {}
        unrealized = _ZERO
        for symbol, position in self.portfolio.open_positions.items():
            mark = self.mark(symbol)
            positions[symbol] = PositionExposure(position.quantity, position.value(mark))
            unrealized += position.unrealized_pnl(mark)
        return RiskSnapshot(
            now=now,
            equity_quote=self.equity(),
            cash_quote=self.portfolio.balance(self.portfolio.quote_asset),
            positions=positions,
            realized_pnl_today_quote=self._net_realized() - self._net_realized_at_day_start,
            unrealized_pnl_quote=unrealized,
            trades_today=self._trades_today,
            last_trade_time=dict(self.last_trade_time),
            recent_order_times=tuple(self._recent_orders),
        )
