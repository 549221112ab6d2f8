"""Internal Order → the arguments of ccxt's ``create_order`` for Binance Spot (pure, validated)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from imb_bot.core.models import Order, OrderType, TimeInForce
from imb_bot.exchange.errors import InvalidRequestError

__all__ = ["CLIENT_ORDER_ID_PATTERN", "OrderRequest", "order_request"]

CLIENT_ORDER_ID_PATTERN = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")  # Binance newClientOrderId


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """Positional arguments and params of ``create_order(symbol, type, side, amount, price,
    params)``."""

    symbol: str
    type: str
    side: str
    amount: float
    price: float | None
    params: dict[str, Any]

    def args(self) -> tuple[Any, ...]:
        """The arguments in ccxt's order."""
        return (self.symbol, self.type, self.side, self.amount, self.price, self.params)


def _reject(message: str) -> InvalidRequestError:
    return InvalidRequestError(message, operation="place_order")


def order_request(order: Order) -> OrderRequest:
    """Build the request for ``order``: our ``client_order_id`` as ``newClientOrderId``, the FULL
    answer (with fills), ``quoteOrderQty`` for a quote-sized MARKET order, GTC by default for LIMIT.

    Raises:
        InvalidRequestError: the order cannot be sent as it is (nothing was sent).
    """
    if not CLIENT_ORDER_ID_PATTERN.match(order.client_order_id):
        raise _reject(
            f"client_order_id {order.client_order_id!r} must match "
            f"{CLIENT_ORDER_ID_PATTERN.pattern}"
        )
    params: dict[str, Any] = {
        "newClientOrderId": order.client_order_id,
        "newOrderRespType": "FULL",
    }
    price: float | None = None
    if order.type is OrderType.LIMIT:
        if order.price is None or order.price <= 0:
            raise _reject(f"a LIMIT order needs a positive price, got {order.price}")
        price = float(order.price)
        params["timeInForce"] = (order.time_in_force or TimeInForce.GTC).value
    if order.type is OrderType.MARKET and order.quote_quantity is not None:
        if order.quote_quantity <= 0:
            raise _reject(f"quote_quantity must be > 0, got {order.quote_quantity}")
        params["quoteOrderQty"] = str(order.quote_quantity)
    elif order.quantity <= 0:
        raise _reject(f"quantity must be > 0, got {order.quantity}")
    return OrderRequest(
        symbol=order.symbol,
        type=order.type.value.lower(),
        side=order.side.value.lower(),
        amount=float(order.quantity),
        price=price,
        params=params,
    )
