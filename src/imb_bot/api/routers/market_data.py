"""``GET /market-data``: ticker and recent closed candles of one symbol, from the exchange."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from imb_bot.api.deps import ConnectorDep
from imb_bot.api.schemas.common import DecimalStr
from imb_bot.core.models import Candle, Ticker
from imb_bot.exchange.errors import (
    ExchangeError,
    InvalidRequestError,
    RateLimitedError,
    UnknownSymbolError,
)
from imb_bot.exchange.market_data import MarketSnapshot, fetch_market_snapshot

router = APIRouter(tags=["market-data"])

# Binance kline intervals (imb_bot.config.settings.KLINE_INTERVALS), spelled out for OpenAPI.
Timeframe = Literal[
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h",
    "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M",
]  # fmt: skip


class CandlePublic(BaseModel):
    """One closed OHLCV candle; ``time`` is its open time (UTC)."""

    time: datetime
    open: DecimalStr
    high: DecimalStr
    low: DecimalStr
    close: DecimalStr
    volume: DecimalStr

    @classmethod
    def from_domain(cls, candle: Candle) -> CandlePublic:
        """Copy a domain candle."""
        return cls(
            time=candle.time,
            open=candle.open,
            high=candle.high,
            low=candle.low,
            close=candle.close,
            volume=candle.volume,
        )


class TickerPublic(BaseModel):
    """Best bid/ask and last traded price at ``time`` (UTC), plus 24 h statistics."""

    symbol: str
    bid: DecimalStr
    ask: DecimalStr
    last: DecimalStr
    time: datetime
    bid_quantity: DecimalStr | None = None
    ask_quantity: DecimalStr | None = None
    high_24h: DecimalStr | None = None
    low_24h: DecimalStr | None = None
    volume_24h: DecimalStr | None = None

    @classmethod
    def from_domain(cls, ticker: Ticker) -> TickerPublic:
        """Copy a domain ticker."""
        return cls(
            symbol=ticker.symbol,
            bid=ticker.bid,
            ask=ticker.ask,
            last=ticker.last,
            time=ticker.time,
            bid_quantity=ticker.bid_quantity,
            ask_quantity=ticker.ask_quantity,
            high_24h=ticker.high_24h,
            low_24h=ticker.low_24h,
            volume_24h=ticker.volume_24h,
        )


class MarketDataPublic(BaseModel):
    """Ticker and closed candles (oldest first) of one symbol."""

    symbol: str = Field(examples=["BTC/USDT"])
    timeframe: Timeframe
    ticker: TickerPublic
    candles: list[CandlePublic]

    @classmethod
    def from_snapshot(cls, snapshot: MarketSnapshot) -> MarketDataPublic:
        """Copy a market snapshot."""
        return cls(
            symbol=snapshot.symbol,
            timeframe=snapshot.timeframe,
            ticker=TickerPublic.from_domain(snapshot.ticker),
            candles=[CandlePublic.from_domain(c) for c in snapshot.candles],
        )


class ErrorPublic(BaseModel):
    """An error answer."""

    detail: str


def http_error(error: ExchangeError) -> HTTPException:
    """Map a connector error to the HTTP answer: 404 unknown symbol, 400 invalid request,
    503 (with Retry-After when rate limited) for everything else — never a 500."""
    if isinstance(error, UnknownSymbolError):
        return HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error))
    if isinstance(error, InvalidRequestError):
        return HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(error))
    headers = None
    if isinstance(error, RateLimitedError) and error.retry_after is not None:
        headers = {"Retry-After": str(math.ceil(error.retry_after))}
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        detail=f"exchange unavailable: {error}",
        headers=headers,
    )


@router.get(
    "/market-data",
    response_model=MarketDataPublic,
    operation_id="getMarketData",
    responses={
        400: {"model": ErrorPublic, "description": "The exchange rejected the request."},
        404: {"model": ErrorPublic, "description": "Unknown symbol."},
        503: {"model": ErrorPublic, "description": "Exchange unreachable or not configured."},
    },
)
async def get_market_data(
    connector: ConnectorDep,
    symbol: Annotated[
        str,
        Query(
            description="Unified symbol BASE/QUOTE, e.g. BTC/USDT.",
            pattern=r"^[A-Za-z0-9]+/[A-Za-z0-9]+$",
            examples=["BTC/USDT"],
        ),
    ],
    timeframe: Annotated[Timeframe, Query(description="Kline interval.")] = "1m",
    limit: Annotated[int, Query(ge=1, le=1000, description="Number of closed candles.")] = 100,
) -> MarketDataPublic:
    """Return the ticker and the latest ``limit`` closed candles of ``symbol``."""
    try:
        snapshot = await fetch_market_snapshot(connector, symbol.upper(), timeframe, limit)
    except ExchangeError as e:
        raise http_error(e) from e
    return MarketDataPublic.from_snapshot(snapshot)
