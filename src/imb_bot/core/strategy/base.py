"""The ``Strategy`` protocol every strategy implements, and its error for out-of-order candles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from imb_bot.core.models import Candle, Signal

__all__ = ["StaleCandleError", "Strategy"]


class StaleCandleError(ValueError):
    """A candle is not newer than the last one seen: a caller bug; the strategy state is unchanged.

    Deciding twice on one candle could trade twice, so the strategy refuses instead of guessing.
    """

    def __init__(self, symbol: str, time: datetime, last_time: datetime) -> None:
        super().__init__(
            f"{symbol}: candle time {time.isoformat()} is not after the last candle "
            f"{last_time.isoformat()}; pass each closed candle once, oldest first"
        )
        self.time = time
        self.last_time = last_time


class Strategy(Protocol):
    """Turns closed candles into signals for one symbol. Pure and deterministic: no I/O, no clock.

    The caller passes only *closed* candles, oldest first, and says how much of the symbol the
    account holds, so the strategy never guesses its position.
    """

    @property
    def strategy_id(self) -> str:
        """Stable id written into every signal (and from there into orders)."""
        ...

    @property
    def symbol(self) -> str:
        """The symbol this instance trades."""
        ...

    @property
    def warm_up_candles(self) -> int:
        """How many closed candles of history make the first decision valid."""
        ...

    def warm_up(self, candles: Iterable[Candle]) -> None:
        """Feed historical closed candles (oldest first) without producing signals."""
        ...

    def on_candle(self, candle: Candle, position_quantity: Decimal) -> Signal:
        """Decide on one newly closed candle; ``position_quantity`` is the sellable base held.

        Raises :class:`StaleCandleError` if ``candle.time`` is not after the previous candle's.
        """
        ...
