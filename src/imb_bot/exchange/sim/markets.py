"""Market definitions: symbol filters (PRICE_FILTER, LOT_SIZE, …), book shape, synthetic drift.

Known symbols get realistic Binance-like filters; any other ``BASE/QUOTE`` gets filters derived
from its start price so that prices keep about six significant digits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from imb_bot.exchange.sim.decimals import fmt

__all__ = [
    "DEFAULT_SYMBOLS",
    "MarketSpec",
    "market_for",
    "symbol_filters_json",
    "symbol_info_json",
]

DEFAULT_SYMBOLS = ("BTC/USDT", "ETH/USDT", "ETH/BTC")
ORDER_TYPES = ("LIMIT", "LIMIT_MAKER", "MARKET")


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """One spot market: filters as Binance publishes them plus the simulator's book settings."""

    base: str
    quote: str
    start_price: Decimal  # first price of the synthetic series (quote per base)
    tick_size: Decimal  # PRICE_FILTER.tickSize
    min_price: Decimal  # PRICE_FILTER.minPrice
    max_price: Decimal  # PRICE_FILTER.maxPrice
    step_size: Decimal  # LOT_SIZE.stepSize
    min_qty: Decimal  # LOT_SIZE.minQty
    max_qty: Decimal  # LOT_SIZE.maxQty
    market_max_qty: Decimal  # MARKET_LOT_SIZE.maxQty (minQty and stepSize are 0 = off)
    min_notional: Decimal  # NOTIONAL.minNotional, quote asset, applies to market orders too
    max_notional: Decimal  # NOTIONAL.maxNotional, quote asset
    annual_volatility: float = 0.6  # synthetic GBM volatility in the normal regime, per year
    level_qty: Decimal = Decimal(1)  # base quantity of the best book level
    book_levels: int = 100  # levels per book side
    spread_bps: Decimal = Decimal(2)  # best ask − best bid, basis points of the mid price
    level_step_bps: Decimal = Decimal(1)  # distance between adjacent levels, basis points

    @property
    def symbol(self) -> str:
        """Binance symbol, e.g. ``BTCUSDT``."""
        return self.base + self.quote

    @property
    def unified(self) -> str:
        """ccxt unified symbol, e.g. ``BTC/USDT``."""
        return f"{self.base}/{self.quote}"

    def with_book(self, *, spread_bps: Decimal | None, book_levels: int | None) -> MarketSpec:
        """Return a copy with another spread and/or number of book levels."""
        spec = self
        if spread_bps is not None:
            spec = replace(spec, spread_bps=spread_bps)
        if book_levels is not None:
            spec = replace(spec, book_levels=book_levels)
        return spec


_KNOWN: dict[str, MarketSpec] = {
    "BTCUSDT": MarketSpec(
        base="BTC",
        quote="USDT",
        start_price=Decimal("60000.00"),
        tick_size=Decimal("0.01"),
        min_price=Decimal("0.01"),
        max_price=Decimal("1000000.00"),
        step_size=Decimal("0.00001"),
        min_qty=Decimal("0.00001"),
        max_qty=Decimal("9000"),
        market_max_qty=Decimal("100"),
        min_notional=Decimal("5"),
        max_notional=Decimal("9000000"),
        annual_volatility=0.6,
        level_qty=Decimal("0.5"),
    ),
    "ETHUSDT": MarketSpec(
        base="ETH",
        quote="USDT",
        start_price=Decimal("3000.00"),
        tick_size=Decimal("0.01"),
        min_price=Decimal("0.01"),
        max_price=Decimal("1000000.00"),
        step_size=Decimal("0.0001"),
        min_qty=Decimal("0.0001"),
        max_qty=Decimal("9000"),
        market_max_qty=Decimal("1000"),
        min_notional=Decimal("5"),
        max_notional=Decimal("9000000"),
        annual_volatility=0.75,
        level_qty=Decimal("5"),
    ),
    "ETHBTC": MarketSpec(
        base="ETH",
        quote="BTC",
        start_price=Decimal("0.05000"),
        tick_size=Decimal("0.00001"),
        min_price=Decimal("0.00001"),
        max_price=Decimal("922327.00000"),
        step_size=Decimal("0.0001"),
        min_qty=Decimal("0.0001"),
        max_qty=Decimal("100000"),
        market_max_qty=Decimal("1000"),
        min_notional=Decimal("0.0001"),
        max_notional=Decimal("9000000"),
        annual_volatility=0.5,
        level_qty=Decimal("5"),
    ),
}


def market_for(unified: str, start_price: Decimal | None = None) -> MarketSpec:
    """Return the spec of ``BASE/QUOTE``; derive filters from ``start_price`` if it is unknown.

    Raises:
        ValueError: the symbol is not ``BASE/QUOTE`` or an unknown one comes without a price.
    """
    base, sep, quote = unified.upper().partition("/")
    if not sep or not base.isalnum() or not quote.isalnum():
        raise ValueError(f"symbol {unified!r} is not of the form BASE/QUOTE (e.g. BTC/USDT)")
    known = _KNOWN.get(base + quote)
    if known is not None:
        if start_price is None:
            return known
        return replace(known, start_price=start_price.quantize(known.tick_size))
    if start_price is None:
        raise ValueError(f"symbol {unified!r} is not built in; give its price as {unified}:PRICE")
    if start_price <= 0:
        raise ValueError(f"start price of {unified!r} must be positive, got {start_price}")
    magnitude = math.floor(math.log10(float(start_price)))
    tick = Decimal(1).scaleb(max(magnitude - 5, -8))
    step = Decimal(1).scaleb(min(max(-magnitude - 1, -8), 0))
    notional = Decimal(5) if quote in {"USDT", "USDC", "FDUSD", "BUSD"} else Decimal("0.0001")
    return MarketSpec(
        base=base,
        quote=quote,
        start_price=start_price.quantize(tick),
        tick_size=tick,
        min_price=tick,
        max_price=Decimal(10) ** max(magnitude + 3, 1),
        step_size=step,
        min_qty=step,
        max_qty=Decimal(9000000),
        market_max_qty=Decimal(100000),
        min_notional=notional,
        max_notional=Decimal(9000000),
        level_qty=step * 10000,
    )


def symbol_filters_json(spec: MarketSpec) -> list[dict[str, Any]]:
    """Return the ``filters`` array of one ``exchangeInfo`` symbol."""
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": fmt(spec.min_price),
            "maxPrice": fmt(spec.max_price),
            "tickSize": fmt(spec.tick_size),
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": fmt(spec.min_qty),
            "maxQty": fmt(spec.max_qty),
            "stepSize": fmt(spec.step_size),
        },
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": "0.00000000",
            "maxQty": fmt(spec.market_max_qty),
            "stepSize": "0.00000000",
        },
        {
            "filterType": "NOTIONAL",
            "minNotional": fmt(spec.min_notional),
            "applyMinToMarket": True,
            "maxNotional": fmt(spec.max_notional),
            "applyMaxToMarket": False,
            "avgPriceMins": 5,
        },
    ]


def symbol_info_json(spec: MarketSpec) -> dict[str, Any]:
    """Return one ``exchangeInfo.symbols[]`` entry."""
    return {
        "symbol": spec.symbol,
        "status": "TRADING",
        "baseAsset": spec.base,
        "baseAssetPrecision": 8,
        "quoteAsset": spec.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": list(ORDER_TYPES),
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": symbol_filters_json(spec),
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "NONE",
        "allowedSelfTradePreventionModes": ["NONE"],
    }
