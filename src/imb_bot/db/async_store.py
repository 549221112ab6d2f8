"""Async facade of the store: every call runs on ONE dedicated worker thread.

The event loop never blocks on the database, and writes are applied strictly in the order they
were awaited (one thread, FIFO queue), which is what the order manager's state machine needs.
Cancelling an awaiting task does not cancel a write that has started: it still commits.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from typing import Any, ParamSpec, TypeVar

from imb_bot.config import TradingMode
from imb_bot.core.models import Balance, Fill, Order, OrderStatus
from imb_bot.db.records import FillsRecorded, PositionRecord, PositionState, RiskEventRecord
from imb_bot.db.store import Store

__all__ = ["WRITER_THREAD_NAME", "AsyncStore"]

WRITER_THREAD_NAME = "imb-db-writer"
P = ParamSpec("P")
T = TypeVar("T")


class AsyncStore:
    """Awaitable version of :class:`Store` with the same methods and errors."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=WRITER_THREAD_NAME)

    @property
    def sync(self) -> Store:
        """The wrapped synchronous store (for reads from other threads, e.g. the API)."""
        return self._store

    async def _call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def aclose(self) -> None:
        """Finish queued calls, stop the worker thread and close the engine."""
        await asyncio.get_running_loop().run_in_executor(None, self._shutdown)

    def _shutdown(self) -> None:
        self._executor.shutdown(wait=True)
        self._store.close()

    async def record_intent(
        self, order: Order, mode: TradingMode, run_id: int | None = None
    ) -> bool:
        """See :meth:`Store.record_intent`."""
        return await self._call(self._store.record_intent, order, mode, run_id)

    async def record_submission_result(
        self,
        client_order_id: str,
        status: OrderStatus,
        exchange_order_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
        *,
        at: datetime | None = None,
    ) -> None:
        """See :meth:`Store.record_submission_result`."""
        await self._call(
            self._store.record_submission_result,
            client_order_id,
            status,
            exchange_order_id,
            payload,
            at=at,
        )

    async def record_fills(
        self,
        client_order_id: str,
        fills: Sequence[Fill],
        *,
        order_status: OrderStatus,
        filled_quantity: Decimal,
        average_price: Decimal | None,
        position_update: PositionState | None,
        paper_balances: Sequence[Balance] = (),
        at: datetime | None = None,
    ) -> FillsRecorded:
        """See :meth:`Store.record_fills`."""
        return await self._call(
            self._store.record_fills,
            client_order_id,
            fills,
            order_status=order_status,
            filled_quantity=filled_quantity,
            average_price=average_price,
            position_update=position_update,
            paper_balances=list(paper_balances),
            at=at,
        )

    async def record_risk_event(self, event: RiskEventRecord) -> None:
        """See :meth:`Store.record_risk_event`."""
        await self._call(self._store.record_risk_event, event)

    async def start_run(
        self, mode: TradingMode, config_hash: str, version: str, *, at: datetime | None = None
    ) -> int:
        """See :meth:`Store.start_run`."""
        return await self._call(self._store.start_run, mode, config_hash, version, at=at)

    async def stop_run(self, run_id: int, reason: str, *, at: datetime | None = None) -> None:
        """See :meth:`Store.stop_run`."""
        await self._call(self._store.stop_run, run_id, reason, at=at)

    async def save_paper_balances(
        self, balances: Iterable[Balance], *, at: datetime | None = None
    ) -> None:
        """See :meth:`Store.save_paper_balances`."""
        await self._call(self._store.save_paper_balances, list(balances), at=at)

    async def load_open_orders(self, mode: TradingMode) -> list[Order]:
        """See :meth:`Store.load_open_orders`."""
        return await self._call(self._store.load_open_orders, mode)

    async def load_order(self, client_order_id: str) -> Order | None:
        """See :meth:`Store.load_order`."""
        return await self._call(self._store.load_order, client_order_id)

    async def load_fills(self, client_order_id: str) -> list[Fill]:
        """See :meth:`Store.load_fills`."""
        return await self._call(self._store.load_fills, client_order_id)

    async def known_trade_ids(
        self, mode: TradingMode, symbol: str, trade_ids: Iterable[str]
    ) -> set[str]:
        """See :meth:`Store.known_trade_ids`."""
        return await self._call(self._store.known_trade_ids, mode, symbol, list(trade_ids))

    async def load_positions(self, mode: TradingMode | None = None) -> list[PositionRecord]:
        """See :meth:`Store.load_positions`."""
        return await self._call(self._store.load_positions, mode)

    async def load_paper_balances(self) -> dict[str, Balance]:
        """See :meth:`Store.load_paper_balances`."""
        return await self._call(self._store.load_paper_balances)
