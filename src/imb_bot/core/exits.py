"""Stop-loss / take-profit checks: positions with SL/TP levels plus a price → exit signals.

Used the same way in paper, live and backtest: the bot watches prices itself (no exchange-side
stop orders). Pass the price you could sell at (the bid; the last price if no bid is known).

* On a price: ``price <= stop_loss`` → SELL ``STOP_LOSS``; else ``price >= take_profit`` →
  SELL ``TAKE_PROFIT``.
* On a closed candle: ``low <= stop_loss`` → ``STOP_LOSS``, else ``high >= take_profit`` →
  ``TAKE_PROFIT``. When one candle touches both, the stop wins: the order of the two inside
  the candle is unknown, and assuming the worse one keeps backtests honest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from imb_bot.core._checks import require
from imb_bot.core.models import Candle, Signal, SignalAction, SizeType

__all__ = ["ExitKind", "ExitLevels", "check_exit", "check_exit_on_candle", "check_exits"]


class ExitKind(StrEnum):
    """Which protective level was hit; the prefix of the exit signal's reason."""

    STOP_LOSS = "STOP_LOSS"
    TAKE_PROFIT = "TAKE_PROFIT"


@dataclass(frozen=True, slots=True)
class ExitLevels:
    """Protective levels of one open position (usually from its BUY signal)."""

    symbol: str  # market symbol
    quantity: Decimal  # base to sell when a level is hit
    stop_loss: Decimal | None  # sell at or below this price; None: no stop
    take_profit: Decimal | None  # sell at or above this price; None: no target
    strategy_id: str = ""  # written into the exit signal

    def __post_init__(self) -> None:
        require(self.quantity > 0, "quantity", "> 0", self.quantity)
        if self.stop_loss is not None and self.take_profit is not None:
            require(
                self.stop_loss < self.take_profit,
                "stop_loss",
                f"< take_profit ({self.take_profit})",
                self.stop_loss,
            )


def _exit(levels: ExitLevels, kind: ExitKind, detail: str, time: datetime) -> Signal:
    return Signal(
        action=SignalAction.SELL,
        symbol=levels.symbol,
        strategy_id=levels.strategy_id,
        candle_time=time,
        reason=f"{kind}: {detail}",
        size_type=SizeType.FIXED_BASE,
        size_value=levels.quantity,
    )


def check_exit(levels: ExitLevels, price: Decimal, time: datetime) -> Signal | None:
    """Return a SELL signal if ``price`` (seen at ``time``) hits the stop or the target."""
    stop, target = levels.stop_loss, levels.take_profit
    if stop is not None and price <= stop:
        return _exit(levels, ExitKind.STOP_LOSS, f"price {price} <= stop_loss {stop}", time)
    if target is not None and price >= target:
        return _exit(levels, ExitKind.TAKE_PROFIT, f"price {price} >= take_profit {target}", time)
    return None


def check_exits(
    levels: Iterable[ExitLevels], prices: Mapping[str, Decimal], time: datetime
) -> list[Signal]:
    """Check several positions; a symbol without a price in ``prices`` is skipped."""
    signals = []
    for item in levels:
        price = prices.get(item.symbol)
        if price is not None:
            signal = check_exit(item, price, time)
            if signal is not None:
                signals.append(signal)
    return signals


def check_exit_on_candle(levels: ExitLevels, candle: Candle) -> Signal | None:
    """Return a SELL signal if the candle's range hits a level (the stop first)."""
    stop, target = levels.stop_loss, levels.take_profit
    if stop is not None and candle.low <= stop:
        return _exit(
            levels, ExitKind.STOP_LOSS, f"low {candle.low} <= stop_loss {stop}", candle.time
        )
    if target is not None and candle.high >= target:
        return _exit(
            levels,
            ExitKind.TAKE_PROFIT,
            f"high {candle.high} >= take_profit {target}",
            candle.time,
        )
    return None
