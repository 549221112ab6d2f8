"""``rsi_ema``: long-only RSI mean reversion with an optional EMA trend filter.

The rule, evaluated once per closed candle after updating RSI and both EMAs with its close:

1. Until RSI(``rsi_period``) and both EMAs have a value (``max(rsi_period + 1,
   ema_fast_period, ema_slow_period)`` candles): HOLD.
2. Flat (``position_quantity == 0``): BUY when ``RSI < rsi_oversold`` (strictly; a *level*
   rule, not a cross, so an entry missed by a risk rejection is retried on the next oversold
   candle) and, with ``trend_filter``, ``EMA fast > EMA slow``. The BUY carries the configured
   size, ``stop_loss = close * (1 - stop_loss_pct / 100)`` and
   ``take_profit = close * (1 + take_profit_pct / 100)``.
3. Long (``position_quantity > 0``): SELL the whole ``position_quantity`` (``fixed_base``) when
   ``RSI > rsi_overbought`` (strictly). Stop-loss / take-profit exits are not decided here: they
   are checked on every price by :mod:`imb_bot.core.exits`.
4. Otherwise HOLD.

``position_quantity`` is what the caller can actually sell (dust below the exchange minimums
counts as flat: see :func:`imb_bot.core.execution.sellable_quantity`).

The live path (:meth:`RsiEmaStrategy.on_candle`) and the backtest fast path
(:meth:`RsiEmaStrategy.on_close`, which takes a float close and returns None for HOLD) are the
same code: ``on_candle`` calls ``on_close``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from imb_bot.core._checks import require, require_aware
from imb_bot.core.indicators import EMA, MIN_PERIOD, RSI
from imb_bot.core.models import Candle, Signal, SignalAction, SizeType
from imb_bot.core.strategy.base import StaleCandleError

__all__ = ["HoldReason", "RsiEmaConfig", "RsiEmaStrategy"]

_ZERO: Final = Decimal(0)
_HUNDRED: Final = Decimal(100)


class HoldReason:
    """Why the last candle produced no BUY/SELL (plain strings: set on the hot path)."""

    WARMING_UP: Final = "WARMING_UP"
    NO_ENTRY: Final = "NO_ENTRY"  # flat and RSI not below oversold
    TREND_FILTER: Final = "TREND_FILTER"  # oversold but EMA fast <= EMA slow
    NO_EXIT: Final = "NO_EXIT"  # long and RSI not above overbought


# Module-level aliases: a global read is cheaper than a class attribute on the hot path.
_WARMING_UP: Final = HoldReason.WARMING_UP
_NO_ENTRY: Final = HoldReason.NO_ENTRY
_TREND_FILTER: Final = HoldReason.TREND_FILTER
_NO_EXIT: Final = HoldReason.NO_EXIT


@dataclass(frozen=True, slots=True)
class RsiEmaConfig:
    """Parameters of :class:`RsiEmaStrategy`."""

    symbol: str  # market symbol the strategy trades, e.g. "BTC/USDT"
    strategy_id: str = "rsi_ema"  # id written into every signal and order
    rsi_period: int = 14  # RSI length, in candles (>= 2)
    rsi_oversold: float = 30.0  # BUY level, in RSI points (0-100): buy while RSI < this
    rsi_overbought: float = 70.0  # SELL level, in RSI points (0-100): sell while RSI > this
    ema_fast_period: int = 12  # fast EMA length, in candles (>= 2)
    ema_slow_period: int = 26  # slow EMA length, in candles (> ema_fast_period)
    trend_filter: bool = False  # True: buy only while EMA fast > EMA slow
    stop_loss_pct: Decimal | None = Decimal(2)  # stop below entry close, in % (0-100); None: off
    take_profit_pct: Decimal | None = Decimal(4)  # target above entry close, in %; None: off
    size_type: SizeType = SizeType.FIXED_QUOTE  # how size_value is meant on BUY signals
    size_value: Decimal = Decimal(100)  # quote amount, base amount or % of equity (per size_type)

    def __post_init__(self) -> None:
        require(bool(self.symbol), "symbol", "a non-empty market symbol", self.symbol)
        require(bool(self.strategy_id), "strategy_id", "a non-empty id", self.strategy_id)
        for name in ("rsi_period", "ema_fast_period", "ema_slow_period"):
            value = getattr(self, name)
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= MIN_PERIOD
            require(ok, name, f"an int >= {MIN_PERIOD} (candles)", value)
        require(
            self.ema_fast_period < self.ema_slow_period,
            "ema_fast_period",
            f"< ema_slow_period ({self.ema_slow_period})",
            self.ema_fast_period,
        )
        require(0 < self.rsi_oversold < 100, "rsi_oversold", "in (0, 100)", self.rsi_oversold)
        require(
            self.rsi_oversold < self.rsi_overbought < 100,
            "rsi_overbought",
            f"in (rsi_oversold={self.rsi_oversold}, 100)",
            self.rsi_overbought,
        )
        if self.stop_loss_pct is not None:
            require(
                0 < self.stop_loss_pct < 100,
                "stop_loss_pct",
                "in (0, 100) or None",
                self.stop_loss_pct,
            )
        if self.take_profit_pct is not None:
            tp = self.take_profit_pct
            require(tp > 0, "take_profit_pct", "> 0 or None", tp)
        require(
            isinstance(self.size_type, SizeType),
            "size_type",
            f"one of {[t.value for t in SizeType]}",
            self.size_type,
        )
        require(self.size_value > 0, "size_value", "> 0", self.size_value)
        if self.size_type is SizeType.PERCENT_EQUITY:
            pct = self.size_value
            require(pct <= 100, "size_value", "<= 100 (percent_equity)", pct)

    @property
    def warm_up_candles(self) -> int:
        """Closed candles needed before the first decision."""
        return max(self.rsi_period + 1, self.ema_fast_period, self.ema_slow_period)


class RsiEmaStrategy:
    """RSI mean reversion, long only, optional EMA trend filter; see the module docstring."""

    __slots__ = (
        "_config",
        "_ema_fast",
        "_ema_slow",
        "_fast_update",
        "_hold_reason",
        "_last_time",
        "_overbought",
        "_oversold",
        "_rsi",
        "_rsi_update",
        "_sl_factor",
        "_slow_update",
        "_tp_factor",
        "_trend_filter",
    )

    def __init__(self, config: RsiEmaConfig) -> None:
        self._config = config
        self._rsi = RSI(config.rsi_period)
        self._ema_fast = EMA(config.ema_fast_period)
        self._ema_slow = EMA(config.ema_slow_period)
        # Bound methods, looked up once: this is the per-candle hot path.
        self._rsi_update = self._rsi.update
        self._fast_update = self._ema_fast.update
        self._slow_update = self._ema_slow.update
        self._oversold = config.rsi_oversold
        self._overbought = config.rsi_overbought
        self._trend_filter = config.trend_filter
        pct = config.stop_loss_pct
        self._sl_factor = None if pct is None else 1 - pct / _HUNDRED
        pct = config.take_profit_pct
        self._tp_factor = None if pct is None else 1 + pct / _HUNDRED
        self._last_time: datetime | None = None
        self._hold_reason: str = HoldReason.WARMING_UP

    @property
    def config(self) -> RsiEmaConfig:
        """The configuration this instance runs with."""
        return self._config

    @property
    def strategy_id(self) -> str:
        """Stable id written into every signal."""
        return self._config.strategy_id

    @property
    def symbol(self) -> str:
        """The symbol this instance trades."""
        return self._config.symbol

    @property
    def warm_up_candles(self) -> int:
        """Closed candles needed before the first decision."""
        return self._config.warm_up_candles

    @property
    def last_time(self) -> datetime | None:
        """Open time of the last candle processed."""
        return self._last_time

    @property
    def hold_reason(self) -> str:
        """Why the last candle was a HOLD (a :class:`HoldReason` value); stale after a signal."""
        return self._hold_reason

    @property
    def indicators(self) -> tuple[float | None, float | None, float | None]:
        """Latest (RSI, EMA fast, EMA slow); None while warming up."""
        return self._rsi.value, self._ema_fast.value, self._ema_slow.value

    @property
    def is_warm(self) -> bool:
        """True once every indicator has a value."""
        return self._rsi.value is not None and self._ema_slow.value is not None

    def warm_up(self, candles: Iterable[Candle]) -> None:
        """Feed historical closed candles (oldest first); whatever they would signal is dropped.

        Runs the same code as :meth:`on_candle` (as if flat), so the state afterwards is
        exactly the state after streaming those candles.
        """
        on_close = self.on_close
        for candle in candles:
            on_close(candle.time, float(candle.close), _ZERO, candle.close)

    def on_candle(self, candle: Candle, position_quantity: Decimal) -> Signal:
        """Decide on one newly closed candle (live path); HOLD is returned as a Signal."""
        signal = self.on_close(candle.time, float(candle.close), position_quantity, candle.close)
        if signal is not None:
            return signal
        return Signal(
            action=SignalAction.HOLD,
            symbol=self._config.symbol,
            strategy_id=self._config.strategy_id,
            candle_time=candle.time,
            reason=self._hold_reason,
        )

    def on_close(
        self,
        time: datetime,
        close: float,
        position_quantity: Decimal,
        close_exact: Decimal | None = None,
    ) -> Signal | None:
        """Decide on one closed candle given its open ``time`` and ``close``; None means HOLD.

        The fast path for backtests: no Signal is built for a HOLD. ``close_exact`` is used for
        stop-loss/take-profit prices; without it they are derived from ``repr(close)``.
        Raises ``ValueError`` for a close that is not > 0 and :class:`StaleCandleError` for a
        candle not after the previous one; the state is unchanged then.
        """
        # Refuse bad input before touching any state.
        if not close > 0.0:  # also refuses NaN, which would poison every later value
            raise ValueError(f"{self._config.symbol}: close must be a price > 0, got {close!r}")
        last = self._last_time
        if last is None:
            require_aware(time, "candle time")
        elif time <= last:
            raise StaleCandleError(self._config.symbol, time, last)
        self._last_time = time
        rsi = self._rsi_update(close)
        fast = self._fast_update(close)
        slow = self._slow_update(close)
        if rsi is None or fast is None or slow is None:
            self._hold_reason = _WARMING_UP
            return None
        if position_quantity > _ZERO:
            if rsi > self._overbought:
                return self._exit(time, rsi, position_quantity)
            self._hold_reason = _NO_EXIT
            return None
        if rsi < self._oversold:
            if self._trend_filter and not fast > slow:
                self._hold_reason = _TREND_FILTER
                return None
            return self._entry(
                time, close=close, close_exact=close_exact, rsi=rsi, fast=fast, slow=slow
            )
        self._hold_reason = _NO_ENTRY
        return None

    def _entry(
        self,
        time: datetime,
        *,
        close: float,
        close_exact: Decimal | None,
        rsi: float,
        fast: float,
        slow: float,
    ) -> Signal:
        cfg = self._config
        price = close_exact if close_exact is not None else Decimal(repr(close))
        relation = ">" if fast > slow else "<="
        return Signal(
            action=SignalAction.BUY,
            symbol=cfg.symbol,
            strategy_id=cfg.strategy_id,
            candle_time=time,
            reason=(
                f"RSI({cfg.rsi_period})={rsi:.2f} < oversold {cfg.rsi_oversold:g}; "
                f"EMA({cfg.ema_fast_period})={fast:.8g} {relation} "
                f"EMA({cfg.ema_slow_period})={slow:.8g}; close={price}"
            ),
            size_type=cfg.size_type,
            size_value=cfg.size_value,
            stop_loss=None if self._sl_factor is None else price * self._sl_factor,
            take_profit=None if self._tp_factor is None else price * self._tp_factor,
        )

    def _exit(self, time: datetime, rsi: float, position_quantity: Decimal) -> Signal:
        cfg = self._config
        return Signal(
            action=SignalAction.SELL,
            symbol=cfg.symbol,
            strategy_id=cfg.strategy_id,
            candle_time=time,
            reason=f"RSI({cfg.rsi_period})={rsi:.2f} > overbought {cfg.rsi_overbought:g}",
            size_type=SizeType.FIXED_BASE,
            size_value=position_quantity,
        )
