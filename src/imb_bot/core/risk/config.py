"""Risk manager configuration and trading states."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from imb_bot.core._checks import require

__all__ = ["RiskConfig", "TradingState"]


class TradingState(StrEnum):
    """What the risk manager lets through (nautilus_trader's trading states)."""

    ACTIVE = "ACTIVE"  # entries and exits
    REDUCING = "REDUCING"  # exits only (orders that reduce a position)
    HALTED = "HALTED"  # no new orders at all; cancels are not risk-checked and stay allowed


def _optional_positive(value: object, name: str, kind: type) -> None:
    if value is None:
        return
    ok = isinstance(value, kind) and not isinstance(value, bool) and value > 0  # type: ignore[operator]
    article = "an" if kind.__name__[0] in "aeiou" else "a"
    require(ok, name, f"{article} {kind.__name__} > 0 or None (no limit)", value)


@dataclass(frozen=True, slots=True)
class RiskConfig:
    """Limits of :class:`~imb_bot.core.risk.RiskManager`; a limit set to None is off.

    Entries (BUY) are subject to every rule. Exits (SELL: this is long-only spot) are subject only
    to the trading state and the order-rate limit, so that a position can always be closed.
    """

    quote_asset: str = "USDT"  # currency of every *_quote amount here and in the snapshot
    max_trades_per_day: int | None = 50  # entries refused once this many orders went out today
    max_open_positions: int | None = 3  # entries into a new symbol refused at this many positions
    max_daily_loss_quote: Decimal | None = Decimal(100)  # realized today + unrealized; hit: HALT
    max_position_notional_quote: Decimal | None = Decimal(1000)  # position value after a buy
    max_order_notional_quote: Decimal | None = Decimal(500)  # value of one entry order
    min_trade_interval_s: float = 60.0  # seconds between orders on one symbol (entries); 0: off
    max_orders_per_window: int | None = 10  # orders of any kind per order_rate_window_s
    order_rate_window_s: float = 10.0  # sliding window of the order-rate limit, in seconds
    max_recent_rejections: int = 200  # rejections kept in memory (newest); counters are unbounded
    initial_state: TradingState = TradingState.ACTIVE  # trading state at construction

    def __post_init__(self) -> None:
        require(bool(self.quote_asset), "quote_asset", "a non-empty asset code", self.quote_asset)
        _optional_positive(self.max_trades_per_day, "max_trades_per_day", int)
        _optional_positive(self.max_open_positions, "max_open_positions", int)
        _optional_positive(self.max_orders_per_window, "max_orders_per_window", int)
        _optional_positive(self.max_daily_loss_quote, "max_daily_loss_quote", Decimal)
        _optional_positive(self.max_position_notional_quote, "max_position_notional_quote", Decimal)
        _optional_positive(self.max_order_notional_quote, "max_order_notional_quote", Decimal)
        require(
            isinstance(self.min_trade_interval_s, int | float) and self.min_trade_interval_s >= 0,
            "min_trade_interval_s",
            "a number of seconds >= 0",
            self.min_trade_interval_s,
        )
        require(
            isinstance(self.order_rate_window_s, int | float) and self.order_rate_window_s > 0,
            "order_rate_window_s",
            "a number of seconds > 0",
            self.order_rate_window_s,
        )
        require(
            isinstance(self.max_recent_rejections, int) and self.max_recent_rejections >= 1,
            "max_recent_rejections",
            "an int >= 1",
            self.max_recent_rejections,
        )
        require(
            isinstance(self.initial_state, TradingState),
            "initial_state",
            f"one of {[s.value for s in TradingState]}",
            self.initial_state,
        )
