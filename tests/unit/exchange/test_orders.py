"""Internal Order → ccxt create_order arguments."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from imb_bot.core.models import Order, OrderType, Side, TimeInForce
from imb_bot.exchange.errors import InvalidRequestError
from imb_bot.exchange.orders import order_request

BASE = Order(
    client_order_id="bot-abc_1",
    symbol="BTC/USDT",
    side=Side.BUY,
    type=OrderType.MARKET,
    quantity=Decimal("0.00123"),
    created_at=datetime(2024, 1, 1, tzinfo=UTC),
)


def test_request_when_market_by_quantity_sends_client_id_and_full_answer() -> None:
    request = order_request(BASE)

    assert request.args() == (
        "BTC/USDT",
        "market",
        "buy",
        0.00123,
        None,
        {"newClientOrderId": "bot-abc_1", "newOrderRespType": "FULL"},
    )


def test_request_when_market_sized_in_quote_sends_quote_order_qty_as_string() -> None:
    order = replace(BASE, quantity=Decimal(0), quote_quantity=Decimal("25.50"))

    request = order_request(order)

    assert request.params["quoteOrderQty"] == "25.50"
    assert request.price is None


def test_request_when_limit_without_tif_defaults_to_gtc() -> None:
    order = replace(BASE, type=OrderType.LIMIT, price=Decimal("40000.10"), side=Side.SELL)

    request = order_request(order)

    assert (request.type, request.side, request.price) == ("limit", "sell", 40000.10)
    assert request.params["timeInForce"] == "GTC"


def test_request_when_limit_with_ioc_keeps_it() -> None:
    order = replace(BASE, type=OrderType.LIMIT, price=Decimal(1), time_in_force=TimeInForce.IOC)

    assert order_request(order).params["timeInForce"] == "IOC"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"client_order_id": "has space"}, "client_order_id"),
        ({"client_order_id": "x" * 37}, "client_order_id"),
        ({"type": OrderType.LIMIT, "price": None}, "positive price"),
        ({"quantity": Decimal(0)}, "quantity must be > 0"),
        ({"quote_quantity": Decimal(-1)}, "quote_quantity must be > 0"),
    ],
)
def test_request_when_order_malformed_raises_invalid_request_naming_field(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message) as info:
        order_request(replace(BASE, **changes))  # type: ignore[arg-type]

    assert info.value.operation == "place_order"
