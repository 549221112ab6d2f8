"""Market data of every symbol: series, klines, book, 24h ticker; the engine's :class:`PriceFeed`.

:func:`build_feed` places each series so that its history ends at ``anchor_ms`` (the minute the
simulator first started): the last ``history_minutes`` candles before it are history, anything
after is replayed (CSV) or generated (GBM) as the market clock reaches it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import chain

from imb_bot.exchange.sim.book import Book, build_book
from imb_bot.exchange.sim.config import SimConfig
from imb_bot.exchange.sim.decimals import fmt, from_float
from imb_bot.exchange.sim.klines import KlineBook
from imb_bot.exchange.sim.markets import MarketSpec, market_for
from imb_bot.exchange.sim.path import first_cross, forming_candle, price_at
from imb_bot.exchange.sim.series import (
    MINUTE_MS,
    CandleSeries,
    Chunk,
    SyntheticSource,
    csv_volatility,
    load_csv,
)

__all__ = ["MarketFeed", "SymbolData", "build_feed"]

DAY_MS = 86_400_000


@dataclass(slots=True)
class SymbolData:
    """One symbol's spec, series and caches."""

    spec: MarketSpec
    series: CandleSeries
    klines: KlineBook
    book_cache: Book | None = None
    ticker_cache: tuple[int, str] | None = None
    price_cache: dict[int, Decimal] = field(default_factory=dict)


class MarketFeed:
    """Market data for all symbols at any market time."""

    def __init__(self, symbols: Mapping[str, SymbolData]) -> None:
        self.symbols = symbols

    @property
    def specs(self) -> dict[str, MarketSpec]:
        """Binance symbol → spec."""
        return {name: data.spec for name, data in self.symbols.items()}

    def price(self, symbol: str, now_ms: int) -> Decimal:
        """Last price (path price on the tick grid) of ``symbol`` at ``now_ms``."""
        data = self.symbols[symbol]
        cached = data.price_cache.get(now_ms)
        if cached is None:
            if len(data.price_cache) > 64:
                data.price_cache.clear()
            cached = from_float(price_at(data.series, now_ms), data.spec.tick_size)
            data.price_cache[now_ms] = cached
        return cached

    def book(self, symbol: str, now_ms: int) -> Book:
        """Synthetic book of ``symbol`` around its price at ``now_ms``."""
        data = self.symbols[symbol]
        mid = self.price(symbol, now_ms)
        if data.book_cache is None or data.book_cache.mid != mid:
            data.book_cache = build_book(data.spec, mid)
        return data.book_cache

    def first_cross(
        self, symbol: str, t0_ms: int, t1_ms: int, level: Decimal, falling: bool
    ) -> int | None:
        """First time in (t0, t1] the price of ``symbol`` reaches ``level``."""
        return first_cross(self.symbols[symbol].series, t0_ms, t1_ms, float(level), falling)

    def ticker_24h(self, symbol: str, now_ms: int) -> str:
        """The ``/api/v3/ticker/24hr`` object of ``symbol`` as JSON text."""
        data = self.symbols[symbol]
        if data.ticker_cache is not None and data.ticker_cache[0] == now_ms:
            return data.ticker_cache[1]
        s = data.series
        s.ensure(now_ms)
        window_start = max(now_ms - DAY_MS, s.start_ms)
        a = s.index(window_start)
        b = s.index(now_ms)
        current = forming_candle(s, now_ms)
        open_price = price_at(s, window_start)
        high = max(float(s.high[a:b].max()), current.high) if a < b else current.high
        low = min(float(s.low[a:b].min()), current.low) if a < b else current.low
        high = max(high, open_price)
        low = min(low, open_price)
        volume = float(s.cum_volume[b] - s.cum_volume[a]) + float(s.volume[b]) * current.fraction
        quote = (
            float(s.cum_quote_volume[b] - s.cum_quote_volume[a])
            + float(s.quote_volume[b]) * current.fraction
        )
        count = int(s.cum_trades[b] - s.cum_trades[a]) + int(float(s.trades[b]) * current.fraction)
        prev_close = float(s.close[a - 1]) if a > 0 else open_price
        last = float(self.price(symbol, now_ms))
        book = self.book(symbol, now_ms)
        change = last - open_price
        percent = change / open_price * 100 if open_price else 0.0
        weighted = quote / volume if volume > 0 else last
        bid_price, bid_qty = book.bids[0] if book.bids else (Decimal(0), Decimal(0))
        ask_price, ask_qty = book.asks[0] if book.asks else (Decimal(0), Decimal(0))
        text = (
            f'{{"symbol":"{symbol}","priceChange":"{change:.8f}",'
            f'"priceChangePercent":"{percent:.3f}","weightedAvgPrice":"{weighted:.8f}",'
            f'"prevClosePrice":"{prev_close:.8f}","lastPrice":"{last:.8f}",'
            f'"lastQty":"{fmt(data.spec.min_qty * 10)}","bidPrice":"{fmt(bid_price)}",'
            f'"bidQty":"{fmt(bid_qty)}","askPrice":"{fmt(ask_price)}","askQty":"{fmt(ask_qty)}",'
            f'"openPrice":"{open_price:.8f}","highPrice":"{high:.8f}","lowPrice":"{low:.8f}",'
            f'"volume":"{volume:.8f}","quoteVolume":"{quote:.8f}","openTime":{now_ms - DAY_MS},'
            f'"closeTime":{now_ms},"firstId":0,"lastId":{max(count - 1, 0)},"count":{count}}}'
        )
        data.ticker_cache = (now_ms, text)
        return text


def _symbol_data(config: SimConfig, unified: str, anchor_ms: int, seed: int) -> SymbolData:
    # place one symbol's series so that its history ends at anchor_ms
    name, _, price_text = unified.partition(":")
    start_price: Decimal | None = None
    if price_text:
        try:
            start_price = Decimal(price_text)
        except InvalidOperation:
            raise ValueError(f"start price of {name!r} is not a number: {price_text!r}") from None
    csv_path = config.data.get(name.upper())
    if csv_path is not None and start_price is None and not _is_known(name):
        # learn the price scale (and so the tick size) of an unknown market from its data
        start_price = Decimal(repr(float(load_csv(csv_path).chunk.open[0])))
    spec = market_for(name, start_price).with_book(
        spread_bps=config.spread_bps, book_levels=config.book_levels
    )
    tick = float(spec.tick_size)
    level_qty = float(spec.level_qty)
    chunks: Iterator[Chunk]
    if csv_path is not None:
        csv = load_csv(csv_path, tick)
        n = int(csv.chunk.close.size)
        history = min(config.history_minutes, n)
        start_ms = anchor_ms - history * MINUTE_MS
        continuation = SyntheticSource(
            seed=seed,
            symbol=spec.symbol,
            start_price=float(csv.chunk.close[-1]),
            annual_volatility=csv_volatility(csv.chunk),
            tick=tick,
            level_qty=level_qty,
        )
        chunks = chain([csv.chunk], continuation)
    else:
        start_ms = anchor_ms - config.history_minutes * MINUTE_MS
        chunks = SyntheticSource(
            seed=seed,
            symbol=spec.symbol,
            start_price=float(spec.start_price),
            annual_volatility=spec.annual_volatility,
            tick=tick,
            level_qty=level_qty,
        )
    series = CandleSeries(start_ms, chunks)
    return SymbolData(spec=spec, series=series, klines=KlineBook(series))


def _is_known(unified: str) -> bool:
    try:
        market_for(unified, None)
    except ValueError:
        return False
    return True


def build_feed(config: SimConfig, anchor_ms: int, seed: int) -> MarketFeed:
    """Build the market data of every configured symbol (and every ``--data`` symbol).

    Raises:
        ValueError: a bad symbol, start price or CSV file.
    """
    wanted = list(config.symbols)
    names = {item.partition(":")[0].upper() for item in wanted}
    wanted.extend(symbol for symbol in config.data if symbol not in names)
    symbols: dict[str, SymbolData] = {}
    for unified in wanted:
        data = _symbol_data(config, unified, anchor_ms, seed)
        if data.spec.symbol in symbols:
            raise ValueError(f"symbol {data.spec.unified} is configured twice")
        symbols[data.spec.symbol] = data
    return MarketFeed(symbols)
