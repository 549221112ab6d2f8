"""GET /history/orders, /history/trades and /positions: filters, shapes and errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from imb_bot.api.app import create_app
from imb_bot.api.deps import Services
from imb_bot.config import TradingMode, load_settings
from imb_bot.core.models import OrderStatus, Side
from imb_bot.core.portfolio import Position
from imb_bot.db import Store
from imb_bot.db.testing import T0, make_fill, make_order

PAPER = TradingMode.PAPER
LIVE = TradingMode.LIVE_TESTNET


def _client(store: Store | None) -> TestClient:
    settings = load_settings(environ={})
    return TestClient(create_app(settings, Services(settings=settings, store=store)))


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with _client(store) as client:
        yield client


def _seed(store: Store) -> None:
    # Four orders a minute apart: PAPER BTC buy (filled), PAPER ETH sell, LIVE BTC sell, PAPER BTC
    rows: list[tuple[str, TradingMode, str, Side]] = [
        ("o1", PAPER, "BTC/USDT", Side.BUY),
        ("o2", PAPER, "ETH/USDT", Side.SELL),
        ("o3", LIVE, "BTC/USDT", Side.SELL),
        ("o4", PAPER, "BTC/USDT", Side.BUY),
    ]
    for minute, (cid, mode, symbol, side) in enumerate(rows):
        at = T0 + timedelta(minutes=minute)
        store.record_intent(
            make_order(cid, symbol=symbol, side=side, price="60000.50", created_at=at), mode
        )
    store.record_fills(
        "o1",
        [make_fill("t1", "o1", quantity="0.004", fee="0.000004", executed_at=T0),
         make_fill("t2", "o1", quantity="0.006", price="60100", executed_at=T0)],
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.01"),
        average_price=Decimal("60060"),
        position_update=Position(
            "BTC/USDT", Decimal("0.009996"), Decimal("600.36"), fees_quote=Decimal("0.24")
        ),
        at=T0 + timedelta(seconds=5),
    )  # fmt: skip
    store.record_submission_result("o2", OrderStatus.REJECTED, None, {"code": -2010})


def _ids(body: dict[str, Any]) -> list[str]:
    return [item["client_order_id"] for item in body["items"]]


def test_list_orders_when_no_filter_returns_newest_first_with_public_fields(
    store: Store, client: TestClient
) -> None:
    # Arrange
    _seed(store)

    # Act
    response = client.get("/history/orders")

    # Assert
    assert response.status_code == 200
    body = response.json()
    assert _ids(body) == ["o4", "o3", "o2", "o1"]
    assert body["next_cursor"] is None
    filled = body["items"][-1]
    assert filled == {
        "client_order_id": "o1",
        "exchange_order_id": None,
        "mode": "PAPER",
        "symbol": "BTC/USDT",
        "side": "BUY",
        "type": "LIMIT",
        "time_in_force": None,
        "quantity": "0.01",
        "quote_quantity": None,
        "price": "60000.5",
        "status": "FILLED",
        "filled_quantity": "0.01",
        "average_price": "60060",
        "reason": "rsi<30",
        "strategy": "rsi_ema",
        "created_at": "2024-05-01T12:00:00Z",
        "updated_at": "2024-05-01T12:00:05Z",
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"symbol": "BTC/USDT"}, ["o4", "o3", "o1"]),
        ({"symbol": "eth/usdt"}, ["o2"]),
        ({"mode": "LIVE_TESTNET"}, ["o3"]),
        ({"side": "SELL"}, ["o3", "o2"]),
        ({"status": "REJECTED"}, ["o2"]),
        ({"since": "2024-05-01T12:01:00Z"}, ["o4", "o3", "o2"]),  # inclusive
        ({"until": "2024-05-01T12:01:00Z"}, ["o1"]),  # exclusive
        ({"since": "2024-05-01T14:01:00+02:00", "until": "2024-05-01T12:03:00Z"}, ["o3", "o2"]),
        ({"mode": "PAPER", "symbol": "BTC/USDT", "side": "BUY"}, ["o4", "o1"]),
    ],
)
def test_list_orders_when_filtered_returns_matching_orders(
    store: Store, client: TestClient, params: dict[str, str], expected: list[str]
) -> None:
    _seed(store)
    response = client.get("/history/orders", params=params)
    assert response.status_code == 200, response.text
    assert _ids(response.json()) == expected


def test_list_orders_when_limit_smaller_pages_with_cursor(store: Store, client: TestClient) -> None:
    # Arrange
    _seed(store)

    # Act
    first = client.get("/history/orders", params={"limit": 3}).json()
    second = client.get(
        "/history/orders", params={"limit": 3, "cursor": first["next_cursor"]}
    ).json()

    # Assert
    assert _ids(first) == ["o4", "o3", "o2"]
    assert _ids(second) == ["o1"]
    assert second["next_cursor"] is None


def test_list_trades_when_filtered_returns_trades_newest_first(
    store: Store, client: TestClient
) -> None:
    # Arrange
    _seed(store)

    # Act
    response = client.get("/history/trades", params={"symbol": "BTC/USDT", "mode": "PAPER"})

    # Assert
    assert response.status_code == 200
    items = response.json()["items"]
    assert [t["trade_id"] for t in items] == ["t2", "t1"]  # same time: newest insert first
    assert items[1] == {
        "trade_id": "t1",
        "client_order_id": "o1",
        "exchange_order_id": None,
        "mode": "PAPER",
        "symbol": "BTC/USDT",
        "side": "BUY",
        "price": "60000",
        "quantity": "0.004",
        "quote_quantity": "240",
        "fee": "0.000004",
        "fee_asset": "BTC",
        "is_maker": False,
        "executed_at": "2024-05-01T12:00:00Z",
    }


def test_list_trades_when_nothing_matches_returns_empty_last_page(
    store: Store, client: TestClient
) -> None:
    _seed(store)
    response = client.get("/history/trades", params={"side": "SELL"})
    assert response.json() == {"items": [], "next_cursor": None}


def test_list_positions_when_mode_filter_returns_stored_positions(
    store: Store, client: TestClient
) -> None:
    # Arrange
    _seed(store)

    # Act
    paper = client.get("/positions", params={"mode": "PAPER"}).json()
    live = client.get("/positions", params={"mode": "LIVE_TESTNET"}).json()

    # Assert
    assert live == {"items": []}
    assert paper["items"] == [
        {
            "mode": "PAPER",
            "symbol": "BTC/USDT",
            "quantity": "0.009996",
            "average_entry_price": "60060.024009603841536615",
            "cost_basis_quote": "600.36",
            "realized_pnl_quote": "0",
            "fees_quote": "0.24",
            "status": "OPEN",
            "opened_at": "2024-05-01T12:00:00Z",
            "closed_at": None,
            "updated_at": "2024-05-01T12:00:05Z",
        }
    ]


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/history/orders", {"cursor": "not-a-cursor"}, "cursor"),
        ("/history/trades", {"cursor": "eyJ4IjoxfQ"}, "cursor"),
        ("/history/orders", {"since": "2024-05-01T12:00:00"}, "since"),  # naive
        ("/history/orders", {"until": "yesterday"}, "until"),
        ("/history/orders", {"since": "2024-05-02T00:00:00Z", "until": "2024-05-01T00:00:00Z"},
         "until"),
        ("/history/orders", {"limit": "0"}, "limit"),
        ("/history/trades", {"limit": "501"}, "limit"),
        ("/history/orders", {"mode": "LIVE"}, "mode"),
        ("/history/orders", {"status": "DONE"}, "status"),
        ("/history/trades", {"side": "HOLD"}, "side"),
        ("/history/orders", {"symbol": "BTCUSDT"}, "symbol"),
        ("/positions", {"mode": "paper"}, "mode"),
    ],
)  # fmt: skip
def test_history_when_parameter_invalid_answers_422_naming_it(
    client: TestClient, path: str, params: dict[str, str], parameter: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", parameter]]


def test_list_orders_when_cursor_invalid_says_invalid_cursor(client: TestClient) -> None:
    response = client.get("/history/orders", params={"cursor": "Zm9v"})
    assert response.json()["detail"][0]["msg"] == "Value error, invalid cursor"


@pytest.mark.parametrize("path", ["/history/orders", "/history/trades", "/positions"])
def test_history_when_no_store_configured_answers_503(path: str) -> None:
    with _client(None) as client:
        response = client.get(path)
    assert response.status_code == 503
    assert "no store is configured" in response.json()["detail"]


def test_history_when_database_unreachable_answers_503(tmp_path: Path) -> None:
    store = Store.from_url(f"sqlite:///{tmp_path / 'missing' / 'store.sqlite3'}")
    try:
        with _client(store) as client:
            response = client.get("/history/orders")
    finally:
        store.close()
    assert response.status_code == 503
    assert response.json()["detail"].startswith("the store is unavailable")


def test_openapi_when_rendered_has_stable_operation_ids_and_string_decimals() -> None:
    with _client(None) as client:
        schema = client.get("/openapi.json").json()
    operations = {
        path: schema["paths"][path]["get"]["operationId"]
        for path in ("/history/orders", "/history/trades", "/positions")
    }
    assert operations == {
        "/history/orders": "listOrders",
        "/history/trades": "listTrades",
        "/positions": "listPositions",
    }
    quantity = schema["components"]["schemas"]["OrderPublic"]["properties"]["quantity"]
    assert quantity["type"] == "string"
