"""One symbol's trading loop: closed candle → strategy → risk → execution → order manager.

Each closed candle is processed exactly once and in order, following the exchange's candle times
(not the local clock), so it catches up after a delay or restart and works against the simulator
at any speed. Decisions are timed at the candle's close (market time), the same as in a backtest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from imb_bot.config.settings import TradingMode
from imb_bot.core.decisions import Rejected
from imb_bot.core.execution import ExecutionEngine, sellable_quantity
from imb_bot.core.exits import ExitLevels, check_exit, check_exit_on_candle
from imb_bot.core.models import (
    Candle,
    MarketRules,
    Order,
    OrderStatus,
    Side,
    Signal,
    SignalAction,
    Ticker,
)
from imb_bot.core.risk import RiskManager, TradingState
from imb_bot.core.strategy import Strategy
from imb_bot.db.async_store import AsyncStore
from imb_bot.db.errors import StoreUnavailable
from imb_bot.db.records import RiskEventRecord
from imb_bot.engine.account import Account
from imb_bot.engine.order_manager import OrderManager
from imb_bot.engine.ports import MarketData
from imb_bot.engine.status import BotState, BotStatus
from imb_bot.exchange.market_data import closed_candles
from imb_bot.monitoring.logging import log_event

log = logging.getLogger(__name__)

_TIMEFRAME_SECONDS = {
    "1s": 1, "1m": 60, "3m": 180, "5m": 300, "15m": 900, "30m": 1800, "1h": 3600,
    "2h": 7200, "4h": 14400, "6h": 21600, "8h": 28800, "12h": 43200, "1d": 86400,
    "3d": 259200, "1w": 604800, "1M": 2592000,
}  # fmt: skip


_STORE_DOWN = "store unavailable"


def _exit_refused_for_funds(order: Order) -> bool:
    return (
        order.side is Side.SELL
        and order.status is OrderStatus.REJECTED
        and order.reason.startswith("InsufficientFundsError")
    )


def timeframe_delta(timeframe: str) -> timedelta:
    """Length of one candle (1M counted as 30 days, for polling only)."""
    return timedelta(seconds=_TIMEFRAME_SECONDS[timeframe])


class SymbolLoop:
    """Worker trading one symbol; shares the account, risk manager and order manager."""

    def __init__(
        self,
        *,
        symbol: str,
        timeframe: str,
        market_data: MarketData,
        rules: MarketRules,
        strategy: Strategy,
        risk: RiskManager,
        execution: ExecutionEngine,
        orders: OrderManager,
        account: Account,
        status: BotStatus,
        trading_lock: asyncio.Lock,
        clock: Callable[[], datetime],
        store: AsyncStore | None = None,
        mode: TradingMode = TradingMode.PAPER,
        run_id: int | None = None,
        poll_interval_s: float = 1.0,
        warmup_extra_candles: int = 100,
        error_backoff_max_s: float = 30.0,
    ) -> None:
        self.name = symbol
        self.symbol = symbol
        self._timeframe = timeframe
        self._tf = timeframe_delta(timeframe)
        self._md = market_data
        self._rules = rules
        self._strategy = strategy
        self._risk = risk
        self._execution = execution
        self._orders = orders
        self._account = account
        self._status = status
        self._lock = trading_lock
        self._clock = clock
        self._store = store
        self._mode = mode
        self._run_id = run_id
        self._poll = poll_interval_s
        self._warmup_extra = warmup_extra_candles
        self._backoff_max = error_backoff_max_s
        self.last_candle_time: datetime | None = None
        self.candles_processed = 0

    # ------------------------------------------------------------------ worker protocol
    async def run(self, stop: asyncio.Event) -> None:
        """Warm up, then poll for new closed candles until ``stop`` is set."""
        delay = self._poll
        while not stop.is_set():
            try:
                if self.last_candle_time is None:
                    await self.warm_up()
                await self.iterate()
                delay = self._poll
            except asyncio.CancelledError:
                raise
            except StoreUnavailable as exc:
                await self.on_store_unavailable(exc)
                delay = min(max(delay * 2, self._poll), self._backoff_max)
            except Exception as exc:  # never crash the process: log, count, back off
                message = f"{self.symbol}: {type(exc).__name__}: {exc}"
                self._status.record_error(message, self._clock())
                log.warning("loop_error", extra={"ctx": {"symbol": self.symbol, "error": message}})
                delay = min(max(delay * 2, self._poll), self._backoff_max)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def warm_up(self) -> None:
        """Feed the strategy recent closed history so it decides from the first new candle."""
        count = self._strategy.warm_up_candles + self._warmup_extra
        market_now = (await self._md.get_ticker(self.symbol)).time
        candles = self._closed(
            await self._md.get_ohlcv(
                self.symbol, self._timeframe, limit=min(count + 1, 1000), include_forming=True
            ),
            market_now,
        )
        self._strategy.warm_up(candles)
        if candles:
            self.last_candle_time = candles[-1].time
            self._account.marks[self.symbol] = candles[-1].close
        log_event(
            log,
            logging.INFO,
            "strategy_warmed_up",
            symbol=self.symbol,
            candles=len(candles),
            last_candle=self.last_candle_time,
        )

    def _closed(self, candles: list[Candle], market_now: datetime) -> list[Candle]:
        return closed_candles(candles, self._tf, market_now)

    async def iterate(self) -> None:
        """Process every newly closed candle, then open orders, exits and risk state."""
        if not self._status.store_available and self._store is not None:
            await self._store.load_positions(self._mode)
            self._on_store_back()
        ticker = await self._md.get_ticker(self.symbol)
        since = self.last_candle_time + self._tf if self.last_candle_time else None
        candles = self._closed(
            await self._md.get_ohlcv(
                self.symbol, self._timeframe, limit=1000, since=since, include_forming=True
            ),
            ticker.time,
        )
        for candle in candles:
            if self.last_candle_time is not None and candle.time <= self.last_candle_time:
                continue
            await self._on_candle(candle, ticker)
        await self._orders.poll_open_orders(self.symbol)
        self._account.marks[self.symbol] = ticker.last
        levels = self._account.exit_levels.get(self.symbol)
        if levels is not None:
            exit_signal = check_exit(levels, ticker.bid, ticker.time)
            if exit_signal is not None:
                await self.act(exit_signal, ticker.time, ticker)
        await self._evaluate_risk(ticker.time)
        self._status.iterations += 1
        self._status.last_loop_at = self._clock()
        self._status.trading_state = self._risk.trading_state.value

    # ------------------------------------------------------------------ decisions
    async def _on_candle(self, candle: Candle, ticker: Ticker) -> None:
        self._account.marks[self.symbol] = candle.close
        # Dust the exchange would refuse to sell counts as flat, or the strategy would stay
        # "long" forever (a buy's fee is paid in base, so a full sell leaves a remainder).
        held = self._account.portfolio.position(self.symbol).quantity
        position = sellable_quantity(held, self._rules, candle.close) if held > 0 else held
        signal = self._strategy.on_candle(candle, position)
        # Consumed by the strategy: never feed it again, even if acting on it fails below (a
        # failed order is not retried later on a stale signal; the next candle decides anew).
        self.last_candle_time = candle.time
        self.candles_processed += 1
        log_event(
            log,
            logging.DEBUG,
            "candle",
            symbol=self.symbol,
            time=candle.time,
            close=str(candle.close),
            action=signal.action.value,
        )
        levels = self._account.exit_levels.get(self.symbol)
        if levels is not None and position > 0 and signal.action is not SignalAction.SELL:
            exit_signal = check_exit_on_candle(levels, candle)
            if exit_signal is not None:
                signal = exit_signal
        if signal.action is not SignalAction.HOLD:
            await self.act(signal, candle.time + self._tf, ticker)

    async def act(
        self, signal: Signal, now: datetime, ticker: Ticker | None = None
    ) -> Order | None:
        """Risk-check, size and submit ``signal``; return the order sent, if any.

        ``ticker`` is the iteration's current ticker (its bid/ask size the order); fetched when
        not given.
        """
        async with self._lock:
            if self._orders.has_unresolved(self.symbol):
                # An earlier order's outcome is unknown: its fill may already have changed the
                # position. Decide again once it is resolved (polled every iteration).
                self._log_decision(signal, risk="deferred", why="an order's outcome is unknown")
                return None
            snapshot = self._account.snapshot(now)
            decision = self._risk.validate_signal(signal, snapshot)
            if isinstance(decision, Rejected):
                await self._rejected(signal, decision, now)
                return None
            if ticker is None:
                ticker = await self._md.get_ticker(self.symbol)
            price = ticker.ask if signal.action is SignalAction.BUY else ticker.bid
            portfolio = self._account.portfolio
            built = self._execution.build_order(
                signal,
                rules=self._rules,
                price=price,
                base_free=portfolio.position(self.symbol).quantity,
                quote_free=portfolio.balance(portfolio.quote_asset),
                equity_quote=snapshot.equity_quote,
                now=now,
            )
            if isinstance(built, Rejected):
                await self._rejected(signal, built, now)
                return None
            decision = self._risk.validate_order(built, snapshot, reference_price=price)
            if isinstance(decision, Rejected):
                await self._rejected(signal, decision, now)
                return None
            self._account.note_order_sent(self.symbol, now)
            # Decided at market time ``now``; recorded at the wall-clock time the bot acted.
            built = replace(built, created_at=self._clock())
            self._log_decision(
                signal,
                risk="approved",
                client_order_id=built.client_order_id,
                reference_price=str(price),
            )
            order = await self._orders.submit(built)
            if _exit_refused_for_funds(order):
                # Our books say we hold more than the account does: selling again would only be
                # refused again. Stop and let an operator reconcile (resume re-checks balances).
                await self._halt(
                    f"exit {order.client_order_id} of {self.symbol} refused for insufficient "
                    "funds: the stored position exceeds the exchange balance"
                )
                return order
            self._update_exit_levels(signal, order)
            return order

    def _update_exit_levels(self, signal: Signal, order: Order) -> None:
        held = self._account.portfolio.position(self.symbol).quantity
        mark = self._account.mark(self.symbol)
        sellable = sellable_quantity(held, self._rules, mark) if held > 0 else held
        if sellable <= 0:  # flat, or only dust left: nothing to protect
            self._account.exit_levels.pop(self.symbol, None)
            return
        new_entry = (
            order.side is Side.BUY
            and order.status in (OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED)
            and (signal.stop_loss is not None or signal.take_profit is not None)
        )
        current = self._account.exit_levels.get(self.symbol)
        # A new entry sets the levels from its signal; other fills keep them, resized.
        source = signal if new_entry else current
        if source is None:
            return
        self._account.exit_levels[self.symbol] = ExitLevels(
            symbol=self.symbol,
            quantity=sellable,
            stop_loss=source.stop_loss,
            take_profit=source.take_profit,
            strategy_id=source.strategy_id,
        )

    def _log_decision(self, signal: Signal, **outcome: object) -> None:
        # The one INFO line per BUY/SELL decision: signal, risk verdict, and what followed.
        log_event(
            log,
            logging.INFO,
            "decision",
            symbol=self.symbol,
            action=signal.action.value,
            reason=signal.reason,
            candle_time=signal.candle_time,
            **outcome,
        )

    async def _rejected(self, signal: Signal, rejected: Rejected, now: datetime) -> None:
        self._status.record_rejection(rejected.code.value)
        self._log_decision(
            signal, risk="rejected", code=rejected.code.value, message=rejected.message
        )
        if self._store is not None:
            await self._store.record_risk_event(
                RiskEventRecord(
                    at=now,
                    mode=self._mode,
                    symbol=self.symbol,
                    code=rejected.code.value,
                    message=rejected.message,
                    signal={
                        "action": signal.action.value,
                        "reason": signal.reason,
                        "size_type": signal.size_type.value,
                        "size_value": str(signal.size_value),
                        "candle_time": signal.candle_time.isoformat(),
                    },
                    run_id=self._run_id,
                )
            )

    async def _evaluate_risk(self, now: datetime) -> None:
        change = self._risk.evaluate(self._account.snapshot(now))
        if change is None:
            return
        log_event(
            log,
            logging.WARNING,
            "trading_state_changed",
            previous=change.previous.value,
            current=change.current.value,
            reason=change.reason,
            automatic=change.automatic,
        )
        if change.current is TradingState.HALTED:
            self._status.state = BotState.HALTED
            self._status.halt_reason = f"risk manager: {change.reason}"
            await self._orders.cancel_all("halted by the risk manager")

    async def _halt(self, reason: str) -> None:
        self._risk.set_trading_state(TradingState.HALTED, reason=reason, now=self._clock())
        self._status.state = BotState.HALTED
        self._status.trading_state = TradingState.HALTED.value
        self._status.halt_reason = reason
        log_event(log, logging.ERROR, "bot_halted", symbol=self.symbol, reason=reason)
        await self._orders.cancel_all(reason)

    def _on_store_back(self) -> None:
        self._status.store_available = True
        if self._risk.trading_state_reason.startswith(_STORE_DOWN):
            self._risk.set_trading_state(
                TradingState.ACTIVE, reason="store available again", now=self._clock()
            )
        log_event(log, logging.WARNING, "store_available_again", symbol=self.symbol)

    async def on_store_unavailable(self, exc: StoreUnavailable) -> None:
        """Stop opening positions (REDUCING) while the store cannot record; say so in /status."""
        self._status.store_available = False
        self._status.record_error(f"store unavailable: {exc}", self._clock())
        if self._risk.trading_state is TradingState.ACTIVE:
            self._risk.set_trading_state(
                TradingState.REDUCING, reason=f"{_STORE_DOWN}: no new positions", now=self._clock()
            )
        log_event(
            log,
            logging.ERROR,
            "store_unavailable",
            symbol=self.symbol,
            error=str(exc),
            trading_state=self._risk.trading_state.value,
        )
