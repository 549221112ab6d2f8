"""``RiskManager``: pre-trade checks on signals and sized orders, trading state, rejection log.

Pipeline (two gates, each complete on its own):

1. ``validate_signal(signal, snapshot)`` — before sizing: trading state, daily loss, order
   rate, and for entries trades per day, open positions and the per-symbol trade interval.
2. Build the order (:mod:`imb_bot.core.execution`).
3. ``validate_order(order, snapshot, reference_price=...)`` — the same checks again (the
   snapshot may have moved, and orders can come from elsewhere, e.g. SL/TP exits), plus the
   notional limits, which need the sized quantity: order notional and position notional after
   the order. Only this gate's approval allows sending.

Entries are BUY orders and exits SELL orders (long-only spot). Exits are checked only against
the trading state and the order rate, so a position can always be closed unless HALTED.

Daily loss: when ``realized today + unrealized <= -max_daily_loss_quote`` the manager switches
itself from ACTIVE to HALTED (reason ``DAILY_LOSS_LIMIT``), and entries are refused while the
loss lasts. HALTED persists across 00:00 UTC: only a human, through :meth:`set_trading_state`,
lifts it. Lifting it acknowledges the breach for the rest of that UTC day: the manager does not
halt itself again that day (so a human can choose REDUCING and close positions), but entries
stay refused while the loss is beyond the limit. From the next UTC day a new breach halts again.

Every rejection is counted by code and kept in a bounded list of recent rejections.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Final

from imb_bot.core._checks import require_aware
from imb_bot.core.decisions import APPROVED, Decision, RejectCode, Rejected
from imb_bot.core.execution import order_notional
from imb_bot.core.models import Order, Side, Signal, SignalAction
from imb_bot.core.risk.config import RiskConfig, TradingState
from imb_bot.core.risk.snapshot import RiskSnapshot

__all__ = ["RejectionRecord", "RiskManager", "TradingStateChange"]

_AUTO_HALT_REASON: Final = "DAILY_LOSS_LIMIT"


@dataclass(frozen=True, slots=True)
class RejectionRecord:
    """One rejection as kept in :attr:`RiskManager.recent_rejections`."""

    time: datetime
    symbol: str
    action: str  # BUY / SELL
    code: RejectCode
    message: str


@dataclass(frozen=True, slots=True)
class TradingStateChange:
    """A trading-state transition, for the shell to log, persist and alert on."""

    time: datetime
    previous: TradingState
    current: TradingState
    reason: str
    automatic: bool  # True when the manager switched by itself (daily loss)


def _fmt(value: Decimal) -> str:
    # Money for messages: at most 8 decimals, no exponent, no trailing zeros.
    return format(value.quantize(Decimal("1e-8")).normalize(), "f")


class RiskManager:
    """Approves or rejects signals and orders against :class:`RiskConfig`; keeps trading state."""

    def __init__(self, config: RiskConfig) -> None:
        self._config = config
        self._state = config.initial_state
        self._state_reason = "initial"
        self._loss_ack_day: date | None = None
        self._last_change: TradingStateChange | None = None
        self._counts: Counter[RejectCode] = Counter()
        self._recent: deque[RejectionRecord] = deque(maxlen=config.max_recent_rejections)
        self._window = timedelta(seconds=config.order_rate_window_s)
        self._interval = timedelta(seconds=config.min_trade_interval_s)

    # ----------------------------------------------------------------- state and inspection
    @property
    def config(self) -> RiskConfig:
        """The limits in force."""
        return self._config

    @property
    def trading_state(self) -> TradingState:
        """ACTIVE, REDUCING or HALTED."""
        return self._state

    @property
    def trading_state_reason(self) -> str:
        """Why the current state was entered."""
        return self._state_reason

    @property
    def last_state_change(self) -> TradingStateChange | None:
        """The most recent transition, manual or automatic."""
        return self._last_change

    @property
    def rejection_counts(self) -> dict[RejectCode, int]:
        """Rejections since construction, by code."""
        return dict(self._counts)

    @property
    def recent_rejections(self) -> tuple[RejectionRecord, ...]:
        """The newest rejections, oldest first, at most ``max_recent_rejections``."""
        return tuple(self._recent)

    def set_trading_state(
        self, state: TradingState, *, reason: str, now: datetime
    ) -> TradingStateChange:
        """Switch the trading state by hand (operator action); ``reason`` is recorded.

        Leaving HALTED acknowledges a daily-loss breach for the rest of ``now``'s UTC day.
        """
        require_aware(now, "now")
        if self._state is TradingState.HALTED and state is not TradingState.HALTED:
            self._loss_ack_day = now.astimezone(UTC).date()
        return self._switch(state, reason, now, automatic=False)

    def evaluate(self, snapshot: RiskSnapshot) -> TradingStateChange | None:
        """Apply automatic transitions (daily-loss halt); call once per loop, signal or not."""
        before = self._last_change
        self._check_daily_loss(snapshot)
        return self._last_change if self._last_change is not before else None

    # -------------------------------------------------------------------------- the gates
    def validate_signal(self, signal: Signal, snapshot: RiskSnapshot) -> Decision:
        """Check a BUY/SELL signal before sizing; HOLD is always approved and not recorded."""
        if signal.action is SignalAction.HOLD:
            return APPROVED
        is_entry = signal.action is SignalAction.BUY
        rejected = self._gate(signal.symbol, is_entry, snapshot)
        if rejected is None:
            return APPROVED
        return self._record(snapshot.now, signal.symbol, signal.action.value, rejected)

    def validate_order(
        self, order: Order, snapshot: RiskSnapshot, *, reference_price: Decimal | None = None
    ) -> Decision:
        """Check a sized order; only an approval here allows sending it.

        The notional is ``quote_quantity`` if set, else ``quantity x price`` (the limit price, or
        ``reference_price`` for a market order: ask for a buy, bid for a sell). Raises
        ``ValueError`` for a market order without ``reference_price`` (a caller bug).
        """
        is_entry = order.side is Side.BUY
        rejected = self._gate(order.symbol, is_entry, snapshot)
        if rejected is None and is_entry:
            rejected = self._check_notional(order, snapshot, reference_price)
        if rejected is None:
            return APPROVED
        return self._record(snapshot.now, order.symbol, order.side.value, rejected)

    # ------------------------------------------------------------------------- the rules
    def _gate(self, symbol: str, is_entry: bool, snap: RiskSnapshot) -> Rejected | None:
        cfg = self._config
        loss_breached = self._check_daily_loss(snap)
        if self._state is TradingState.HALTED:
            return Rejected(RejectCode.TRADING_HALTED, f"trading is HALTED ({self._state_reason})")
        if is_entry and self._state is TradingState.REDUCING:
            return Rejected(
                RejectCode.REDUCING_ONLY,
                f"trading is REDUCING ({self._state_reason}): only exits are allowed",
            )
        rejected = self._check_order_rate(snap)
        if rejected is not None or not is_entry:
            return rejected
        if loss_breached and cfg.max_daily_loss_quote is not None:
            return Rejected(
                RejectCode.DAILY_LOSS_LIMIT,
                f"max={_fmt(cfg.max_daily_loss_quote)} {cfg.quote_asset}, "
                f"loss={_fmt(-snap.daily_pnl_quote)} {cfg.quote_asset} "
                f"(realized today {_fmt(snap.realized_pnl_today_quote)}, "
                f"unrealized {_fmt(snap.unrealized_pnl_quote)})",
            )
        limit = cfg.max_trades_per_day
        if limit is not None and snap.trades_today >= limit:
            return Rejected(
                RejectCode.MAX_TRADES_PER_DAY, f"max={limit}, trades today={snap.trades_today}"
            )
        limit = cfg.max_open_positions
        if limit is not None and symbol not in snap.positions and len(snap.positions) >= limit:
            return Rejected(
                RejectCode.MAX_OPEN_POSITIONS,
                f"max={limit}, open={len(snap.positions)} ({', '.join(sorted(snap.positions))})",
            )
        last = snap.last_trade_time.get(symbol)
        if last is not None and snap.now - last < self._interval:
            elapsed = (snap.now - last).total_seconds()
            return Rejected(
                RejectCode.MIN_TRADE_INTERVAL,
                f"min={cfg.min_trade_interval_s:g} s, since last {symbol} order={elapsed:g} s",
            )
        return None

    def _check_order_rate(self, snap: RiskSnapshot) -> Rejected | None:
        limit = self._config.max_orders_per_window
        if limit is None:
            return None
        # Times are oldest first: count those in (now - window, now] by bisection.
        times = snap.recent_order_times
        count = bisect_right(times, snap.now) - bisect_right(times, snap.now - self._window)
        if count < limit:
            return None
        return Rejected(
            RejectCode.ORDER_RATE_LIMIT,
            f"max={limit} orders per {self._config.order_rate_window_s:g} s, sent={count}",
        )

    def _check_notional(
        self, order: Order, snap: RiskSnapshot, reference_price: Decimal | None
    ) -> Rejected | None:
        cfg = self._config
        notional = order_notional(order, reference_price)
        quote = cfg.quote_asset
        limit = cfg.max_order_notional_quote
        if limit is not None and notional > limit:
            return Rejected(
                RejectCode.ORDER_NOTIONAL_EXCEEDS_MAX,
                f"max={_fmt(limit)} {quote}, order={_fmt(notional)} {quote}",
            )
        limit = cfg.max_position_notional_quote
        if limit is not None:
            held = snap.positions.get(order.symbol)
            current = held.value_quote if held is not None else Decimal(0)
            if current + notional > limit:
                return Rejected(
                    RejectCode.POSITION_NOTIONAL_EXCEEDS_MAX,
                    f"max={_fmt(limit)} {quote}, position={_fmt(current)} {quote} "
                    f"+ order={_fmt(notional)} {quote} = {_fmt(current + notional)} {quote}",
                )
        return None

    def _check_daily_loss(self, snap: RiskSnapshot) -> bool:
        # True while the daily loss is at or beyond the limit; halts ACTIVE unless acknowledged.
        limit = self._config.max_daily_loss_quote
        if limit is None or -snap.daily_pnl_quote < limit:
            return False
        if self._state is TradingState.ACTIVE:
            require_aware(snap.now, "snapshot.now")
            if self._loss_ack_day != snap.now.astimezone(UTC).date():
                quote = self._config.quote_asset
                reason = (
                    f"{_AUTO_HALT_REASON}: loss {_fmt(-snap.daily_pnl_quote)} {quote} >= "
                    f"max {_fmt(limit)} {quote}"
                )
                self._switch(TradingState.HALTED, reason, snap.now, automatic=True)
        return True

    def _switch(
        self, state: TradingState, reason: str, now: datetime, *, automatic: bool
    ) -> TradingStateChange:
        change = TradingStateChange(now, self._state, state, reason, automatic)
        self._state = state
        self._state_reason = reason
        self._last_change = change
        return change

    def _record(self, now: datetime, symbol: str, action: str, rejected: Rejected) -> Rejected:
        self._counts[rejected.code] += 1
        self._recent.append(RejectionRecord(now, symbol, action, rejected.code, rejected.message))
        return rejected
