"""The interfaces the trading loop needs; adapters: the ccxt connector, paper and live brokers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from imb_bot.core.models import Candle, Fill, MarketRules, Order, Ticker
from imb_bot.exchange.connector import OrderUpdate, PlaceOrderResult

__all__ = ["Broker", "MarketData", "OrderUpdate", "PlaceOrderResult"]


class MarketData(Protocol):
    """Market data and symbol rules (public endpoints)."""

    async def get_market_rules(self, symbol: str) -> MarketRules:
        """Exchange filters of ``symbol``."""
        ...

    async def get_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        limit: int = 500,
        since: datetime | None = None,
        *,
        include_forming: bool = False,
    ) -> list[Candle]:
        """Closed candles, oldest first, from ``since`` (or the latest ``limit``)."""
        ...

    async def get_ticker(self, symbol: str) -> Ticker:
        """Best bid/ask and last price now."""
        ...


class Broker(Protocol):
    """Executes orders: simulated (paper) or on the exchange (live)."""

    async def place(self, order: Order) -> PlaceOrderResult:
        """Send ``order`` once; an ambiguous outcome is returned as ``OutcomeUnknown``."""
        ...

    async def lookup(self, order: Order) -> OrderUpdate | None:
        """Find ``order`` by its client id; None when the venue does not know it."""
        ...

    async def poll(self, open_orders: Sequence[Order]) -> list[OrderUpdate]:
        """Return updates (new fills, final states) of resting orders."""
        ...

    async def recover(self, order: Order, stored_fills: Sequence[Fill]) -> OrderUpdate | None:
        """After a restart: the venue's view of a stored non-final order.

        None when the venue never received it (the order was not sent before the restart).
        """
        ...

    async def cancel(self, order: Order) -> OrderUpdate:
        """Cancel ``order``; return its final state."""
        ...
