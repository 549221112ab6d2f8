"""AsyncStore: one dedicated writer thread, FIFO order, and the event loop never blocks."""

from __future__ import annotations

import asyncio
import threading
from decimal import Decimal
from typing import Any

from sqlalchemy import event

from imb_bot.config import TradingMode
from imb_bot.core.models import OrderStatus
from imb_bot.db import AsyncStore, Store
from imb_bot.db.async_store import WRITER_THREAD_NAME
from imb_bot.db.testing import make_fill, make_order

PAPER = TradingMode.PAPER


async def test_async_store_when_many_calls_runs_all_on_one_writer_thread_in_order(
    store: Store,
) -> None:
    # Arrange
    threads: set[tuple[int | None, str]] = set()

    def remember_thread(*_: Any) -> None:
        threads.add((threading.get_ident(), threading.current_thread().name))

    event.listen(store.engine, "before_cursor_execute", remember_thread)
    async_store = AsyncStore(store)

    # Act: fire the whole lifecycle of 20 orders at once; FIFO keeps each order's steps in order
    calls = []
    for i in range(20):
        cid = f"run1-{i}"
        calls += [
            async_store.record_intent(make_order(cid), PAPER),
            async_store.record_submission_result(cid, OrderStatus.OPEN, f"x{i}"),
            async_store.record_fills(
                cid,
                [make_fill(f"t{i}", cid)],
                order_status=OrderStatus.FILLED,
                filled_quantity=Decimal("0.01"),
                average_price=Decimal(60000),
                position_update=None,
            ),
        ]
    await asyncio.gather(*calls)
    open_orders = await async_store.load_open_orders(PAPER)
    await async_store.aclose()
    event.remove(store.engine, "before_cursor_execute", remember_thread)

    # Assert
    assert open_orders == []
    assert len(threads) == 1
    [(_, name)] = threads
    assert name.startswith(WRITER_THREAD_NAME)


async def test_async_store_when_write_is_slow_event_loop_keeps_running(store: Store) -> None:
    # Arrange: the write blocks in the database layer until the event loop releases it
    release = threading.Event()

    def block_until_released(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "INSERT INTO ORDERS" in statement.upper():
            assert release.wait(timeout=10), "the event loop was blocked by the write"

    event.listen(store.engine, "before_cursor_execute", block_until_released)
    async_store = AsyncStore(store)

    async def unblock() -> str:
        await asyncio.sleep(0)
        release.set()  # only reachable if the loop runs while the write is in progress
        return "loop ran"

    # Act
    created, ran = await asyncio.gather(async_store.record_intent(make_order(), PAPER), unblock())
    await async_store.aclose()
    event.remove(store.engine, "before_cursor_execute", block_until_released)

    # Assert
    assert created is True
    assert ran == "loop ran"


async def test_async_store_when_closed_finishes_queued_writes(migrated_url: str) -> None:
    # Arrange
    async_store = AsyncStore(Store.from_url(migrated_url))
    pending = asyncio.ensure_future(async_store.record_intent(make_order(), PAPER))
    await asyncio.sleep(0)

    # Act
    await async_store.aclose()

    # Assert
    assert await pending is True
    reader = Store.from_url(migrated_url)
    try:
        assert reader.load_order(make_order().client_order_id) is not None
    finally:
        reader.close()
