"""Schemas of ``GET /history/orders`` and ``GET /history/trades``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from imb_bot.api.schemas.common import DecimalStr
from imb_bot.config import TradingMode
from imb_bot.core.models import OrderStatus, OrderType, Side, TimeInForce
from imb_bot.db.records import OrderRecord, Page, TradeRecord

__all__ = ["OrderPage", "OrderPublic", "TradePage", "TradePublic"]

_NEXT_CURSOR = (
    "Opaque cursor of the next (older) page: pass it back as `cursor` with the same filters; "
    "null on the last page."
)


class OrderPublic(BaseModel):
    """An order as operators see it (no internal ids, no secrets)."""

    model_config = ConfigDict(from_attributes=True)

    client_order_id: str = Field(description="Our deterministic id, sent as newClientOrderId.")
    exchange_order_id: str | None = Field(description="The exchange's id once acknowledged.")
    mode: TradingMode
    symbol: str = Field(examples=["BTC/USDT"])
    side: Side
    type: OrderType
    time_in_force: TimeInForce | None
    quantity: DecimalStr = Field(description="Base quantity (expected, for quote-sized orders).")
    quote_quantity: DecimalStr | None = Field(description="Quote amount of a quote-sized order.")
    price: DecimalStr | None = Field(description="Limit price; null for market orders.")
    status: OrderStatus
    filled_quantity: DecimalStr
    average_price: DecimalStr | None = Field(description="Average fill price; null if unfilled.")
    reason: str = Field(description="Why the strategy placed it.")
    strategy: str
    created_at: datetime
    updated_at: datetime


class TradePublic(BaseModel):
    """One execution of an order."""

    model_config = ConfigDict(from_attributes=True)

    trade_id: str = Field(description="The exchange's trade id (unique per mode and symbol).")
    client_order_id: str
    exchange_order_id: str | None
    mode: TradingMode
    symbol: str = Field(examples=["BTC/USDT"])
    side: Side
    price: DecimalStr
    quantity: DecimalStr = Field(description="Base quantity executed.")
    quote_quantity: DecimalStr = Field(description="price × quantity, in quote.")
    fee: DecimalStr
    fee_asset: str
    is_maker: bool
    executed_at: datetime


class OrderPage(BaseModel):
    """A page of orders, newest first."""

    items: list[OrderPublic]
    next_cursor: str | None = Field(description=_NEXT_CURSOR)

    @classmethod
    def from_page(cls, page: Page[OrderRecord]) -> OrderPage:
        """Build the response from a store page."""
        return cls(
            items=[OrderPublic.model_validate(item) for item in page.items],
            next_cursor=page.next_cursor,
        )


class TradePage(BaseModel):
    """A page of trades, newest first."""

    items: list[TradePublic]
    next_cursor: str | None = Field(description=_NEXT_CURSOR)

    @classmethod
    def from_page(cls, page: Page[TradeRecord]) -> TradePage:
        """Build the response from a store page."""
        return cls(
            items=[TradePublic.model_validate(item) for item in page.items],
            next_cursor=page.next_cursor,
        )
