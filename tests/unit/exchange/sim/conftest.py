"""Fixtures for the simulator's unit tests: a scripted price feed, markets, engine and account."""

from __future__ import annotations

from decimal import Decimal

import pytest

from imb_bot.exchange.sim.book import Book, build_book
from imb_bot.exchange.sim.ledger import Account
from imb_bot.exchange.sim.markets import MarketSpec, market_for
from imb_bot.exchange.sim.matching import MatchingEngine

START_BALANCES = {"USDT": Decimal(100000), "BTC": Decimal(1), "ETH": Decimal(10)}


class ScriptedFeed:
    """A fake :class:`PriceFeed`: the book sits around the latest price; moves are recorded."""

    def __init__(self, specs: dict[str, MarketSpec], prices: dict[str, Decimal]) -> None:
        self.specs = specs
        self.prices = dict(prices)
        self.moves: dict[str, list[tuple[int, Decimal]]] = {symbol: [] for symbol in specs}

    def move(self, symbol: str, t_ms: int, price: Decimal) -> None:
        """The price of ``symbol`` becomes ``price`` at ``t_ms``."""
        self.moves[symbol].append((t_ms, price))
        self.prices[symbol] = price

    def book(self, symbol: str, now_ms: int) -> Book:
        return build_book(self.specs[symbol], self.prices[symbol])

    def first_cross(
        self, symbol: str, t0_ms: int, t1_ms: int, level: Decimal, falling: bool
    ) -> int | None:
        for t_ms, price in self.moves[symbol]:
            if t0_ms < t_ms <= t1_ms and (price <= level if falling else price >= level):
                return t_ms
        return None


def make_specs(book_levels: int = 10) -> dict[str, MarketSpec]:
    """The three default markets with small books (so big orders walk several levels)."""
    specs = [market_for(name) for name in ("BTC/USDT", "ETH/USDT", "ETH/BTC")]
    return {s.symbol: s.with_book(spread_bps=None, book_levels=book_levels) for s in specs}


@pytest.fixture
def specs() -> dict[str, MarketSpec]:
    return make_specs()


@pytest.fixture
def feed(specs: dict[str, MarketSpec]) -> ScriptedFeed:
    return ScriptedFeed(
        specs,
        {"BTCUSDT": Decimal("60000.00"), "ETHUSDT": Decimal("3000.00"), "ETHBTC": Decimal("0.05")},
    )


@pytest.fixture
def engine(specs: dict[str, MarketSpec], feed: ScriptedFeed) -> MatchingEngine:
    return MatchingEngine(specs, feed, Decimal("0.001"))


@pytest.fixture
def account() -> Account:
    return Account(api_key="key", secret="secret", initial=dict(START_BALANCES))
