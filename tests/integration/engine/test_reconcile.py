"""Start-up reconciliation through the runtime: each venue's view of the orders left open.

LIVE_TESTNET asks the simulator by client id; PAPER re-accepts resting orders (its venue lives in
the bot's process) and rejects those whose outcome was never recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from imb_bot.config import TradingMode, load_settings
from imb_bot.core.models import OrderStatus
from imb_bot.core.portfolio import Position
from imb_bot.db import Store
from imb_bot.db.migrate import upgrade_to_head
from imb_bot.db.models import OrderEventRow, OrderRow
from imb_bot.db.testing import T0, make_fill, make_order
from imb_bot.engine.runtime import BotRuntime
from imb_bot.exchange.sim.testing import SimHandle, ccxt_client, running_simulator

from .helpers import bot_environ

SENT = "r7_a1b2c3-1"  # reached the exchange; the bot died before recording the answer
NEVER_SENT = "r7_a1b2c3-2"  # intent committed; the bot died before sending


@pytest.fixture
def sim() -> Iterator[SimHandle]:
    with running_simulator(seed=21, balance={"BTC": "0", "ETH": "0", "USDT": "10000"}) as handle:
        yield handle


def _store(db: Path) -> Store:
    url = f"sqlite:///{db}"
    upgrade_to_head(url)
    return Store.from_url(url)


def _last_event_payload(store: Store, client_order_id: str) -> dict[str, Any]:
    with store.unit_of_work(write=False) as uow:
        payload: dict[str, Any] = uow.session.execute(
            select(OrderEventRow.payload)
            .join(OrderRow, OrderRow.id == OrderEventRow.order_id)
            .where(OrderRow.client_order_id == client_order_id)
            .order_by(OrderEventRow.id.desc())
            .limit(1)
        ).scalar_one()
    return payload


async def test_live_reconcile_records_the_fills_of_a_sent_order_and_rejects_an_unsent_one(
    sim: SimHandle, tmp_path: Path
) -> None:
    # Arrange: one intent sent by real ccxt under our client id, one never sent
    store = _store(tmp_path / "bot.db")
    for cid in (SENT, NEVER_SENT):
        store.record_intent(make_order(cid, quantity="0.001"), TradingMode.LIVE_TESTNET)
    store.close()
    client = ccxt_client(sim)
    client.create_order("BTC/USDT", "market", "buy", 0.001, params={"newClientOrderId": SENT})
    runtime = BotRuntime.from_settings(
        load_settings(environ=bot_environ(sim, TradingMode.LIVE_TESTNET, tmp_path / "bot.db"))
    )

    # Act
    try:
        await runtime.prepare()
        assert runtime.account is not None
        held = runtime.account.portfolio.position("BTC/USDT").quantity
        report = runtime.reconciliation_report
    finally:
        await runtime.shutdown()

    # Assert: the store now says what the exchange says
    store = _store(tmp_path / "bot.db")
    try:
        sent, never_sent = store.load_order(SENT), store.load_order(NEVER_SENT)
        fills = store.load_fills(SENT)
        rejection = _last_event_payload(store, NEVER_SENT)
    finally:
        store.close()
    assert sent is not None and never_sent is not None
    assert (sent.status, sent.filled_quantity) == (OrderStatus.FILLED, Decimal("0.001"))
    account = sim.account_state()
    [exchange_order] = [o for o in account["orders"] if o["clientOrderId"] == SENT]
    exchange_trades = [t for t in account["trades"] if t["orderId"] == exchange_order["orderId"]]
    assert exchange_trades
    assert sorted(f.trade_id for f in fills) == sorted(str(t["id"]) for t in exchange_trades)
    assert never_sent.status is OrderStatus.REJECTED
    assert "unknown to the venue at start-up" in rejection["reason"]
    assert held == sim.balance("BTC")[0] > 0
    assert report == []


async def test_paper_reconcile_keeps_a_resting_order_and_rejects_an_unrecorded_one(
    sim: SimHandle, tmp_path: Path
) -> None:
    # Arrange: a resting limit buy with one partial fill, and an intent whose outcome was lost
    store = _store(tmp_path / "bot.db")
    resting = make_order(SENT, quantity="0.002", price="1000")
    store.record_intent(resting, TradingMode.PAPER)
    store.record_submission_result(SENT, OrderStatus.OPEN, "paper-1")
    partial = make_fill("p1", SENT, quantity="0.001", price="1000")
    position = Position(
        symbol="BTC/USDT",
        quantity=Decimal("0.001"),
        cost_basis_quote=Decimal(1),
        realized_pnl_quote=Decimal(0),
        fees_quote=Decimal(0),
        updated_at=T0,
    )
    store.record_fills(
        SENT,
        [partial],
        order_status=OrderStatus.PARTIALLY_FILLED,
        filled_quantity=Decimal("0.001"),
        average_price=Decimal(1000),
        position_update=position,
    )
    store.record_intent(make_order(NEVER_SENT), TradingMode.PAPER)
    store.close()
    runtime = BotRuntime.from_settings(
        load_settings(environ=bot_environ(sim, TradingMode.PAPER, tmp_path / "bot.db"))
    )

    # Act
    try:
        await runtime.prepare()
        assert runtime.orders is not None and runtime.account is not None
        open_ids = set(runtime.orders.open_orders)
        venue_view = await runtime.orders.broker.lookup(resting)
        held = runtime.account.portfolio.position("BTC/USDT").quantity
    finally:
        await runtime.shutdown()

    # Assert: the resting order is back at the paper venue with its fill, booked once
    assert open_ids == {SENT}
    assert venue_view is not None
    assert venue_view.order.status is OrderStatus.PARTIALLY_FILLED
    assert [f.trade_id for f in venue_view.fills] == ["p1"]
    assert held == Decimal("0.001")
    store = _store(tmp_path / "bot.db")
    try:
        never_sent = store.load_order(NEVER_SENT)
        rejection = _last_event_payload(store, NEVER_SENT)
    finally:
        store.close()
    assert never_sent is not None and never_sent.status is OrderStatus.REJECTED
    assert "unknown to the venue at start-up" in rejection["reason"]
