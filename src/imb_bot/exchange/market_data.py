"""Market-data use case: a ticker and recent candles of one symbol, fetched concurrently."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from imb_bot.core.models import Candle, Ticker
from imb_bot.exchange.connector import ExchangeConnector

__all__ = ["MarketSnapshot", "fetch_market_snapshot"]


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """The ticker and the latest closed candles (oldest first) of ``symbol``."""

    symbol: str
    timeframe: str
    ticker: Ticker
    candles: tuple[Candle, ...]


async def fetch_market_snapshot(
    connector: ExchangeConnector, symbol: str, timeframe: str, limit: int
) -> MarketSnapshot:
    """Fetch ticker and ``limit`` closed candles; raise the first connector error if any."""
    ticker, candles = await asyncio.gather(
        connector.get_ticker(symbol),
        connector.get_ohlcv(symbol, timeframe, limit),
        return_exceptions=True,
    )
    if isinstance(ticker, BaseException):
        raise ticker
    if isinstance(candles, BaseException):
        raise candles
    return MarketSnapshot(symbol, timeframe, ticker, tuple(candles))
