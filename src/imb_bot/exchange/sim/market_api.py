"""Public endpoints: ping, time, exchangeInfo, tickers, klines, depth, avgPrice.

Each handler takes the exchange and the request parameters and returns the JSON body as text; each
``*_weight`` function gives the REQUEST_WEIGHT Binance charges for the same parameters.
"""

from __future__ import annotations

import json

from imb_bot.exchange.sim.decimals import fmt
from imb_bot.exchange.sim.errors import BinanceError, mandatory_param
from imb_bot.exchange.sim.klines import INTERVALS
from imb_bot.exchange.sim.markets import symbol_info_json
from imb_bot.exchange.sim.params import Params, optional_int, required_symbol, symbol_list
from imb_bot.exchange.sim.venue import SimExchange

__all__ = ["MarketApi"]

_DEPTH_WEIGHTS = ((100, 5), (500, 25), (1000, 50))


def _join(items: list[str], single: bool) -> str:
    return items[0] if single else "[" + ",".join(items) + "]"


class MarketApi:
    """Public market-data handlers over one :class:`SimExchange`."""

    def __init__(self, exchange: SimExchange) -> None:
        self.ex = exchange
        symbols = {
            name: json.dumps(symbol_info_json(spec), separators=(",", ":"))
            for name, spec in exchange.markets.items()
        }
        self._symbol_json = symbols
        self._rate_limits = json.dumps(exchange.limits.exchange_info_json(), separators=(",", ":"))

    # --- handlers ------------------------------------------------------------------------------

    def ping(self, params: Params) -> str:
        """``GET /api/v3/ping``."""
        return "{}"

    def time(self, params: Params) -> str:
        """``GET /api/v3/time`` (wall clock, so ccxt's time sync works)."""
        return f'{{"serverTime":{self.ex.clock.wall_ms()}}}'

    def exchange_info(self, params: Params) -> str:
        """``GET /api/v3/exchangeInfo`` (optionally for ``symbol`` / ``symbols``)."""
        names = symbol_list(params, self.ex.markets) or list(self._symbol_json)
        body = ",".join(self._symbol_json[name] for name in names)
        return (
            f'{{"timezone":"UTC","serverTime":{self.ex.clock.wall_ms()},'
            f'"rateLimits":{self._rate_limits},"exchangeFilters":[],"symbols":[{body}]}}'
        )

    def ticker_24h(self, params: Params) -> str:
        """``GET /api/v3/ticker/24hr``: an object for ``symbol``, else an array."""
        names = symbol_list(params, self.ex.markets)
        now = self.ex.sync()
        single = "symbol" in params and names is not None
        items = [self.ex.feed.ticker_24h(name, now) for name in names or self.ex.markets]
        return _join(items, single)

    def ticker_price(self, params: Params) -> str:
        """``GET /api/v3/ticker/price``."""
        names = symbol_list(params, self.ex.markets)
        now = self.ex.sync()
        single = "symbol" in params and names is not None
        items = [
            f'{{"symbol":"{name}","price":"{fmt(self.ex.feed.price(name, now))}"}}'
            for name in names or self.ex.markets
        ]
        return _join(items, single)

    def book_ticker(self, params: Params) -> str:
        """``GET /api/v3/ticker/bookTicker``."""
        names = symbol_list(params, self.ex.markets)
        now = self.ex.sync()
        single = "symbol" in params and names is not None
        items = []
        for name in names or self.ex.markets:
            book = self.ex.feed.book(name, now)
            (bid, bid_qty), (ask, ask_qty) = book.bids[0], book.asks[0]
            items.append(
                f'{{"symbol":"{name}","bidPrice":"{fmt(bid)}","bidQty":"{fmt(bid_qty)}",'
                f'"askPrice":"{fmt(ask)}","askQty":"{fmt(ask_qty)}"}}'
            )
        return _join(items, single)

    def avg_price(self, params: Params) -> str:
        """``GET /api/v3/avgPrice`` (the current price stands in for the 5-minute average)."""
        symbol = required_symbol(params, self.ex.markets)
        now = self.ex.sync()
        price = fmt(self.ex.feed.price(symbol, now))
        return f'{{"mins":5,"price":"{price}","closeTime":{now}}}'

    def klines(self, params: Params) -> bytes:
        """``GET /api/v3/klines`` (and ``uiKlines``)."""
        symbol = required_symbol(params, self.ex.markets)
        interval = params.get("interval")
        if not interval:
            raise mandatory_param("interval")
        if interval not in INTERVALS:
            raise BinanceError(400, -1120, "Invalid interval.")
        start = optional_int(params, "startTime")
        end = optional_int(params, "endTime")
        limit = optional_int(params, "limit", 1) or 500
        now = self.ex.sync()
        book = self.ex.feed.symbols[symbol].klines
        return book.body(interval, now, start, end, min(limit, 1000))

    def depth(self, params: Params) -> str:
        """``GET /api/v3/depth`` (``limit`` default 100, max 5000)."""
        symbol = required_symbol(params, self.ex.markets)
        limit = optional_int(params, "limit", 1, 5000) or 100
        now = self.ex.sync()
        return self.ex.feed.book(symbol, now).depth_json(limit, now)

    # --- weights -------------------------------------------------------------------------------

    @staticmethod
    def depth_weight(params: Params) -> int:
        """Weight of ``depth`` by ``limit``."""
        text = params.get("limit", "")
        limit = int(text) if text.isdigit() else 100
        for bound, weight in _DEPTH_WEIGHTS:
            if limit <= bound:
                return weight
        return 250

    @staticmethod
    def ticker_weight(params: Params) -> int:
        """Weight of ``ticker/24hr``: 2 per symbol, 80 for all."""
        if params.get("symbol"):
            return 2
        many = params.get("symbols")
        if many:
            count = many.count(",") + 1
            return 2 if count <= 20 else 40 if count <= 100 else 80
        return 80

    @staticmethod
    def price_weight(params: Params) -> int:
        """Weight of ``ticker/price`` and ``ticker/bookTicker``: 2 per symbol, 4 for all."""
        return 2 if params.get("symbol") else 4
