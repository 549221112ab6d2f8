"""Builders of orders and fills for tests and benchmarks of the store (no I/O)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from imb_bot.core.models import Fill, Order, OrderStatus, OrderType, Side

__all__ = ["T0", "make_fill", "make_order", "many_orders"]

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_order(
    client_order_id: str = "run1-1",
    *,
    symbol: str = "BTC/USDT",
    side: Side = Side.BUY,
    quantity: str = "0.01",
    price: str | None = None,
    created_at: datetime = T0,
    status: OrderStatus = OrderStatus.PENDING_SUBMIT,
) -> Order:
    """Return a market order (or a GTC limit order when ``price`` is given)."""
    return Order(
        client_order_id=client_order_id,
        symbol=symbol,
        side=side,
        type=OrderType.LIMIT if price is not None else OrderType.MARKET,
        quantity=Decimal(quantity),
        created_at=created_at,
        price=Decimal(price) if price is not None else None,
        status=status,
        reason="rsi<30",
        strategy="rsi_ema",
    )


def make_fill(
    trade_id: str,
    client_order_id: str = "run1-1",
    *,
    symbol: str = "BTC/USDT",
    side: Side = Side.BUY,
    quantity: str = "0.01",
    price: str = "60000",
    fee: str = "0",
    fee_asset: str | None = None,
    executed_at: datetime = T0,
) -> Fill:
    """Return a fill; the fee asset defaults to the received one (base on buys, quote on sells)."""
    base, _, quote = symbol.partition("/")
    return Fill(
        trade_id=trade_id,
        client_order_id=client_order_id,
        symbol=symbol,
        side=side,
        price=Decimal(price),
        quantity=Decimal(quantity),
        fee=Decimal(fee),
        fee_asset=fee_asset or (base if side is Side.BUY else quote),
        executed_at=executed_at,
    )


def many_orders(
    count: int, *, start: datetime = T0, step: timedelta = timedelta(seconds=1), prefix: str = "h"
) -> Iterator[Order]:
    """Yield ``count`` filled limit orders, ``step`` apart, alternating symbols and sides.

    Every third order shares its creation time with the previous one, so keyset pagination's
    tie-break on id is exercised.
    """
    symbols = ("BTC/USDT", "ETH/USDT")
    for i in range(count):
        at = start + step * (i - (1 if i % 3 == 2 else 0))
        yield Order(
            client_order_id=f"{prefix}{i}",
            symbol=symbols[i % 2],
            side=Side.BUY if i % 4 < 2 else Side.SELL,
            type=OrderType.LIMIT,
            quantity=Decimal("0.001"),
            created_at=at,
            price=Decimal("60000.5"),
            status=OrderStatus.FILLED,
            filled_quantity=Decimal("0.001"),
            average_price=Decimal("60000.5"),
        )
