"""Keyset pagination through the API: 100,000 orders, concurrent inserts, trades."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table

from imb_bot.api.app import create_app
from imb_bot.api.deps import Services
from imb_bot.config import TradingMode, load_settings
from imb_bot.core.models import Order
from imb_bot.db import Store
from imb_bot.db.bulk import bulk_insert, bulk_insert_orders
from imb_bot.db.models import TradeRow
from imb_bot.db.testing import T0, make_order, many_orders

PAPER = TradingMode.PAPER


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    settings = load_settings(environ={})
    with TestClient(create_app(settings, Services(settings=settings, store=store))) as client:
        yield client


def _newest_first(orders: list[Order]) -> list[str]:
    # Insertion order is id order, so (created_at, position) is the (created_at, id) key.
    keyed = sorted(enumerate(orders), key=lambda p: (p[1].created_at, p[0]), reverse=True)
    return [order.client_order_id for _, order in keyed]


def _walk(
    client: TestClient, path: str, params: dict[str, Any], after_page: Any = None
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        if after_page is not None:
            after_page()


def test_list_orders_when_walking_100k_rows_sees_each_once_newest_first(
    store: Store, client: TestClient
) -> None:
    # Arrange: 100,000 orders, every third sharing its time with the previous one
    orders = list(many_orders(100_000))
    assert bulk_insert_orders(store.engine, orders, PAPER) == 100_000

    # Act
    items = _walk(client, "/history/orders", {"limit": 500})

    # Assert
    ids = [item["client_order_id"] for item in items]
    assert len(ids) == 100_000
    assert len(set(ids)) == 100_000
    assert ids == _newest_first(orders)


def test_list_orders_when_filtered_walk_sees_only_matching_rows_once(
    store: Store, client: TestClient
) -> None:
    # Arrange
    orders = list(many_orders(3_000))
    bulk_insert_orders(store.engine, orders, PAPER)
    since = T0 + timedelta(seconds=500)
    wanted = [o for o in orders if o.symbol == "ETH/USDT" and o.created_at >= since]

    # Act
    items = _walk(
        client,
        "/history/orders",
        {"limit": 37, "symbol": "ETH/USDT", "since": since.isoformat().replace("+00:00", "Z")},
    )

    # Assert
    assert [item["client_order_id"] for item in items] == _newest_first(wanted)


def test_list_orders_when_orders_inserted_during_walk_neither_skips_nor_repeats(
    store: Store, client: TestClient, migrated_url: str
) -> None:
    # Arrange: 2,000 existing orders; a writer thread keeps recording newer intents
    existing = list(many_orders(2_000))
    bulk_insert_orders(store.engine, existing, PAPER)
    writer_store = Store.from_url(migrated_url)
    stop = threading.Event()
    inserted = threading.Semaphore(0)
    written: list[str] = []

    def write_newer_orders() -> None:
        at = existing[-1].created_at
        while not stop.is_set():
            at += timedelta(milliseconds=1)
            cid = f"new{len(written)}"
            writer_store.record_intent(make_order(cid, created_at=at), PAPER)
            written.append(cid)
            inserted.release()

    def wait_for_an_insert() -> None:
        # Between two pages, at least one new order has been committed.
        assert inserted.acquire(timeout=30), "the writer thread stalled"

    writer = threading.Thread(target=write_newer_orders, name="writer")
    writer.start()

    # Act
    try:
        items = _walk(client, "/history/orders", {"limit": 100}, after_page=wait_for_an_insert)
    finally:
        stop.set()
        writer.join(timeout=30)
        writer_store.close()

    # Assert
    ids = [item["client_order_id"] for item in items]
    assert len(written) >= 19  # one insert after each of the 19 page boundaries, at least
    new_seen = [cid for cid in ids if cid.startswith("new")]
    old_seen = [cid for cid in ids if not cid.startswith("new")]
    assert old_seen == _newest_first(existing)  # every pre-existing row exactly once, in order
    assert len(set(new_seen)) == len(new_seen)  # newer rows may appear on page 1 only, once
    assert ids[: len(new_seen)] == new_seen


def test_list_trades_when_walking_pages_sees_each_trade_once_newest_first(
    store: Store, client: TestClient
) -> None:
    # Arrange: 1,000 trades of 500 orders, two per order at the same time
    orders = list(many_orders(500))
    bulk_insert_orders(store.engine, orders, PAPER)
    trades_table: Table = TradeRow.__table__  # type: ignore[assignment]
    rows = [
        {
            "mode": "PAPER",
            "symbol": order.symbol,
            "trade_id": f"{order.client_order_id}-{leg}",
            "order_id": position + 1,
            "client_order_id": order.client_order_id,
            "exchange_order_id": None,
            "side": order.side.value,
            "price": Decimal("60000.5"),
            "quantity": Decimal("0.0005"),
            "quote_quantity": Decimal("30.00025"),
            "fee": Decimal(0),
            "fee_asset": "USDT",
            "is_maker": leg == 1,
            "executed_at": order.created_at,
        }
        for position, order in enumerate(orders)
        for leg in (0, 1)
    ]
    bulk_insert(store.engine, trades_table, rows)

    # Act
    items = _walk(client, "/history/trades", {"limit": 77})

    # Assert
    expected = [
        row["trade_id"]
        for _, row in sorted(
            enumerate(rows), key=lambda p: (p[1]["executed_at"], p[0]), reverse=True
        )
    ]
    assert [item["trade_id"] for item in items] == expected
