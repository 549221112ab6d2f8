"""Market-data use case: a ticker and recent candles of one symbol, fetched concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from imb_bot.core.models import Candle, Ticker
from imb_bot.exchange.connector import ExchangeConnector
from imb_bot.exchange.klines import timeframe_ms

__all__ = ["MarketSnapshot", "closed_candles", "fetch_market_snapshot"]


def closed_candles(
    candles: Iterable[Candle], interval: timedelta, market_now: datetime
) -> list[Candle]:
    """The candles that have closed by ``market_now``, the exchange's market time.

    The market time is the 24h ticker's close time: a simulator's market clock may run ahead of
    or behind the wall clock its /time endpoint reports, and on Binance both agree.
    """
    return [c for c in candles if c.time + interval <= market_now]


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
        # One more than asked: the newest row may still be forming (dropped below).
        connector.get_ohlcv(symbol, timeframe, limit + 1, include_forming=True),
        return_exceptions=True,
    )
    if isinstance(ticker, BaseException):
        raise ticker
    if isinstance(candles, BaseException):
        raise candles
    interval = timedelta(milliseconds=timeframe_ms(timeframe))
    closed = closed_candles(candles, interval, ticker.time)
    return MarketSnapshot(symbol, timeframe, ticker, tuple(closed[-limit:]))
