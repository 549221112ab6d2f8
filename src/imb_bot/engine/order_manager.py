"""Order manager: persist the intent, send once, resolve unknown outcomes, record fills.

Crash-only lifecycle (docs/decisions/0003): the intent with its deterministic client order id is
committed *before* the order is sent; an ambiguous submission (timeout, 5xx, lost connection,
"duplicate order") is never re-sent but looked up by client id; fills, order state and position
are written in one transaction, then applied to the in-memory portfolio.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime

from imb_bot.config.settings import TradingMode
from imb_bot.core.models import Balance, Fill, Order, OrderStatus
from imb_bot.db.async_store import AsyncStore
from imb_bot.db.errors import StoreUnavailable
from imb_bot.engine.account import Account
from imb_bot.engine.chaos import NO_CHAOS, Chaos
from imb_bot.engine.ports import Broker
from imb_bot.engine.status import BotStatus
from imb_bot.exchange.connector import OrderUpdate, OutcomeUnknown
from imb_bot.exchange.errors import (
    DuplicateOrderError,
    ExchangeAuthError,
    InsufficientFundsError,
    InvalidRequestError,
    RateLimitedError,
    TimestampError,
)
from imb_bot.monitoring.logging import log_event

log = logging.getLogger(__name__)


class _NotFound:
    """The exchange answered that it does not know the order."""


_NOT_FOUND = _NotFound()
# Sent (or maybe sent) but not yet confirmed by the exchange.
_UNRESOLVED = frozenset({OrderStatus.PENDING_SUBMIT, OrderStatus.SUBMITTED, OrderStatus.UNKNOWN})

# Rejections that prove the order was not executed.
_NOT_EXECUTED = (
    InsufficientFundsError,
    RateLimitedError,
    TimestampError,
    ExchangeAuthError,
)


class OrderManager:
    """Submits orders for one account and keeps store, portfolio and status in step.

    ``paper_balances`` (PAPER mode) returns the account's cash balances; they are stored in the
    same transaction as every fill, so restarts find cash and positions in step.
    """

    def __init__(
        self,
        *,
        mode: TradingMode,
        broker: Broker,
        account: Account,
        status: BotStatus,
        clock: Callable[[], datetime],
        store: AsyncStore | None = None,
        run_id: int | None = None,
        unknown_checks: int = 6,
        unknown_check_delay_s: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        paper_balances: Callable[[], list[Balance]] | None = None,
        chaos: Chaos = NO_CHAOS,
    ) -> None:
        self._mode = mode
        self._broker = broker
        self._account = account
        self._status = status
        self._clock = clock
        self._store = store
        self._run_id = run_id
        self._unknown_checks = unknown_checks
        self._unknown_delay = unknown_check_delay_s
        self._sleep = sleep
        self._paper_balances = paper_balances
        self._chaos = chaos
        self._booked: set[tuple[str, str]] = set()  # (symbol, trade id) applied to the portfolio
        self._not_found: dict[str, int] = {}  # client id → "not found" answers while unknown
        self._in_flight: set[str] = set()  # being submitted right now: pollers keep off
        self.open_orders: dict[str, Order] = {}

    def mark_booked(self, fills: Iterable[Fill]) -> None:
        """Declare fills already contained in the restored portfolio (start-up)."""
        self._booked.update((f.symbol, f.trade_id) for f in fills)

    @property
    def broker(self) -> Broker:
        """The broker orders go to."""
        return self._broker

    async def submit(self, order: Order) -> Order:
        """Record the intent, send the order once and return its resulting state.

        Raises StoreUnavailable when the intent cannot be recorded: then nothing was sent.
        """
        if self._store is not None:
            await self._store.record_intent(order, self._mode, self._run_id)
        self._chaos.point("after_intent")
        self.open_orders[order.client_order_id] = order
        self._status.orders_submitted += 1
        log_event(
            log,
            logging.INFO,
            "order_submitting",
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side.value,
            type=order.type.value,
            quantity=str(order.quantity),
            quote_quantity=None if order.quote_quantity is None else str(order.quote_quantity),
            price=None if order.price is None else str(order.price),
        )
        self._in_flight.add(order.client_order_id)
        try:
            return await self._send(order)
        finally:
            self._in_flight.discard(order.client_order_id)

    async def _send(self, order: Order) -> Order:
        try:
            result = await self._broker.place(order)
        except DuplicateOrderError:
            # Already at the exchange (e.g. sent before a crash): resolve, never re-send.
            update = await self.resolve(order)
        except (*_NOT_EXECUTED, InvalidRequestError) as exc:
            return await self._reject(order, f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # unexpected: the outcome is unknown, resolve by client id
            log_event(
                log,
                logging.WARNING,
                "order_submit_error",
                client_order_id=order.client_order_id,
                error=f"{type(exc).__name__}: {exc}",
            )
            update = await self.resolve(order)
        else:
            self._chaos.point("after_submit")
            if isinstance(result, OutcomeUnknown):
                await self._record_status(order, OrderStatus.UNKNOWN, {"error": str(result.error)})
                update = await self.resolve(order)
            else:
                update = result
        return await self.apply_update(update, local=order)

    async def resolve(self, order: Order) -> OrderUpdate:
        """Look ``order`` up by client id with bounded, growing delays.

        Only the exchange's own "not found" answers count as evidence: after every check said so,
        the order is REJECTED with the reason recorded. If a check could not be made (network
        trouble), the order stays UNKNOWN: never treat "could not ask" as "not there".
        :meth:`poll_open_orders` keeps resolving it on later iterations.
        """
        delay = self._unknown_delay
        last_error: str | None = None
        for attempt in range(1, self._unknown_checks + 1):
            found = await self._lookup_once(order)
            if isinstance(found, OrderUpdate):
                return found
            if isinstance(found, str):
                last_error = found
            if attempt < self._unknown_checks:
                await self._sleep(delay)
                delay *= 2
        return self._unresolved(order, last_error)

    async def _lookup_once(self, order: Order) -> OrderUpdate | _NotFound | str:
        # OrderUpdate when found, _NOT_FOUND (counted) when the exchange says so, else the error.
        try:
            found = await self._broker.lookup(order)
        except Exception as exc:  # network trouble: evidence of nothing
            return f"{type(exc).__name__}: {exc}"
        if found is None:
            cid = order.client_order_id
            self._not_found[cid] = self._not_found.get(cid, 0) + 1
            return _NOT_FOUND
        self._not_found.pop(order.client_order_id, None)
        log_event(
            log,
            logging.INFO,
            "order_resolved",
            client_order_id=order.client_order_id,
            status=found.order.status.value,
        )
        return found

    def _unresolved(self, order: Order, last_error: str | None) -> OrderUpdate:
        misses = self._not_found.get(order.client_order_id, 0)
        if misses >= self._unknown_checks:
            self._not_found.pop(order.client_order_id, None)
            reason = (
                f"not acknowledged: the exchange did not know the client id in {misses} look-ups"
            )
            return OrderUpdate(order=replace(order, status=OrderStatus.REJECTED, reason=reason))
        log_event(
            log,
            logging.WARNING,
            "order_still_unknown",
            client_order_id=order.client_order_id,
            not_found_answers=misses,
            last_error=last_error,
        )
        return OrderUpdate(order=replace(order, status=OrderStatus.UNKNOWN))

    def has_unresolved(self, symbol: str) -> bool:
        """True while an order of ``symbol`` has an unknown outcome (send nothing new for it)."""
        return any(
            o.symbol == symbol and o.status in _UNRESOLVED for o in self.open_orders.values()
        )

    async def apply_update(self, update: OrderUpdate, local: Order | None = None) -> Order:
        """Book new fills and the order's state: store first (one transaction), then memory."""
        base = local or self.open_orders.get(update.order.client_order_id) or update.order
        order = replace(
            update.order,
            created_at=base.created_at,
            strategy=base.strategy or update.order.strategy,
            reason=update.order.reason or base.reason,
        )
        now = self._clock()
        new_fills = self._apply_fills(update.fills)
        if self._store is not None:
            position = self._account.portfolio.position(order.symbol)
            if update.fills or order.filled_quantity > 0:
                await self._store.record_fills(
                    order.client_order_id,
                    list(update.fills),
                    order_status=order.status,
                    filled_quantity=order.filled_quantity,
                    average_price=order.average_price,
                    position_update=position,
                    paper_balances=self._paper_balances() if self._paper_balances else (),
                )
            else:
                await self._record_status(order, order.status, {"reason": order.reason})
        if order.status.is_final:
            self.open_orders.pop(order.client_order_id, None)
        else:
            self.open_orders[order.client_order_id] = order
        if new_fills:
            self._status.last_trade_at = now
            for fill in new_fills:
                log_event(
                    log,
                    logging.INFO,
                    "order_filled",
                    client_order_id=fill.client_order_id,
                    symbol=fill.symbol,
                    side=fill.side.value,
                    price=str(fill.price),
                    quantity=str(fill.quantity),
                    fee=f"{fill.fee} {fill.fee_asset}",
                    trade_id=fill.trade_id,
                )
        if order.status is OrderStatus.REJECTED:
            self._status.record_rejection("ORDER_REJECTED")
            log_event(
                log,
                logging.WARNING,
                "order_rejected",
                client_order_id=order.client_order_id,
                reason=order.reason,
            )
        return order

    async def poll_open_orders(self, symbol: str | None = None) -> None:
        """Fetch updates for resting orders (limit orders, partial fills) and book them.

        ``symbol`` limits the poll to that symbol's orders (each symbol loop polls its own).
        Orders with an unknown outcome get one look-up per call (no waiting), until the exchange
        reports them or has said "not found" often enough to reject them.
        """
        idle = [
            o
            for o in self.open_orders.values()
            if o.client_order_id not in self._in_flight and symbol in (None, o.symbol)
        ]
        if not idle:
            return
        unresolved = [o for o in idle if o.status in _UNRESOLVED]
        for order in unresolved:
            found = await self._lookup_once(order)
            if isinstance(found, OrderUpdate):
                await self.apply_update(found)
            else:
                update = self._unresolved(order, found if isinstance(found, str) else None)
                if update.order.status is not OrderStatus.UNKNOWN:
                    await self.apply_update(update)
        resting = [o for o in idle if o.status not in _UNRESOLVED and not o.status.is_final]
        if resting:
            for update in await self._broker.poll(resting):
                await self.apply_update(update)

    async def cancel_all(self, reason: str) -> int:
        """Cancel every open order; return how many were canceled."""
        canceled = 0
        for order in list(self.open_orders.values()):
            try:
                update = await self._broker.cancel(order)
            except Exception as exc:
                log_event(
                    log,
                    logging.ERROR,
                    "order_cancel_failed",
                    client_order_id=order.client_order_id,
                    error=f"{type(exc).__name__}: {exc}",
                )
                continue
            await self.apply_update(
                OrderUpdate(order=replace(update.order, reason=reason), fills=update.fills)
            )
            canceled += 1
        return canceled

    def _apply_fills(self, fills: tuple[Fill, ...]) -> list[Fill]:
        new = []
        for fill in fills:
            key = (fill.symbol, fill.trade_id)
            if key in self._booked:
                continue
            if self._account.portfolio.apply(fill):
                new.append(fill)
            self._booked.add(key)
        return new

    async def _reject(self, order: Order, reason: str) -> Order:
        rejected = replace(order, status=OrderStatus.REJECTED, reason=reason)
        return await self.apply_update(OrderUpdate(order=rejected), local=order)

    async def _record_status(
        self, order: Order, status: OrderStatus, payload: dict[str, object]
    ) -> None:
        if self._store is None:
            return
        await self._store.record_submission_result(
            order.client_order_id, status, order.exchange_order_id, payload
        )


def store_is_down(exc: BaseException) -> bool:
    """True for the store's 'stays unavailable' error (the engine then stops opening positions)."""
    return isinstance(exc, StoreUnavailable)


__all__ = ["OrderManager", "store_is_down"]
