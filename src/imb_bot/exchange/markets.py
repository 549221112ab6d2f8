"""Market rules (tick/step size, quantity and notional limits) from raw Binance exchangeInfo.

Parsed from the exchange's own decimal strings in ``market["info"]`` (never from ccxt's floats),
so rounding in the execution engine is exact.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from imb_bot.core.models import MarketRules

__all__ = ["MarketRulesError", "market_rules_from_exchange_info", "spot_rules_from_markets"]

log = logging.getLogger("imb_bot.exchange.connector")


class MarketRulesError(ValueError):
    """A symbol's exchangeInfo entry lacks a field the bot needs (e.g. no LOT_SIZE filter)."""


def _decimal(raw: Mapping[str, Any], key: str, symbol: str) -> Decimal:
    value = raw.get(key)
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as e:
        raise MarketRulesError(f"{symbol}: field {key!r} is not a decimal: {value!r}") from e


def _positive_or_none(value: Decimal) -> Decimal | None:
    # Binance uses 0 for "no limit".
    return value if value > 0 else None


def market_rules_from_exchange_info(symbol: str, info: Mapping[str, Any]) -> MarketRules:
    """Build :class:`MarketRules` for unified ``symbol`` from its raw exchangeInfo entry.

    Reads PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE and NOTIONAL (or the legacy MIN_NOTIONAL).
    A missing PRICE_FILTER or LOT_SIZE is an error; a missing notional filter means no minimum.

    Raises:
        MarketRulesError: a required filter or field is missing or malformed.
    """
    filters: dict[str, Mapping[str, Any]] = {}
    for entry in info.get("filters") or ():
        if isinstance(entry, Mapping) and "filterType" in entry:
            filters[str(entry["filterType"])] = entry
    for required in ("PRICE_FILTER", "LOT_SIZE"):
        if required not in filters:
            raise MarketRulesError(f"{symbol}: exchangeInfo has no {required} filter")
    base = info.get("baseAsset")
    quote = info.get("quoteAsset")
    if not base or not quote:
        raise MarketRulesError(f"{symbol}: exchangeInfo lacks baseAsset/quoteAsset")

    price = filters["PRICE_FILTER"]
    lot = filters["LOT_SIZE"]
    notional = filters.get("NOTIONAL") or filters.get("MIN_NOTIONAL")
    market_lot = filters.get("MARKET_LOT_SIZE")

    min_notional = Decimal(0)
    max_notional: Decimal | None = None
    if notional is not None:
        min_notional = _decimal(notional, "minNotional", symbol)
        if "maxNotional" in notional:
            max_notional = _positive_or_none(_decimal(notional, "maxNotional", symbol))

    market_min = market_max = market_step = None
    if market_lot is not None:
        market_min = _decimal(market_lot, "minQty", symbol)
        market_max = _positive_or_none(_decimal(market_lot, "maxQty", symbol))
        market_step = _positive_or_none(_decimal(market_lot, "stepSize", symbol))

    return MarketRules(
        symbol=symbol,
        base_asset=str(base),
        quote_asset=str(quote),
        tick_size=_decimal(price, "tickSize", symbol),
        step_size=_decimal(lot, "stepSize", symbol),
        min_quantity=_decimal(lot, "minQty", symbol),
        max_quantity=_decimal(lot, "maxQty", symbol),
        min_notional=min_notional,
        max_notional=max_notional,
        min_price=_decimal(price, "minPrice", symbol),
        max_price=_positive_or_none(_decimal(price, "maxPrice", symbol)),
        market_min_quantity=market_min,
        market_max_quantity=market_max,
        market_step_size=market_step,
    )


def spot_rules_from_markets(markets: Mapping[str, Mapping[str, Any]]) -> dict[str, MarketRules]:
    """Return ``{symbol: MarketRules}`` for the spot markets of ccxt's ``load_markets`` answer.

    A market whose filters cannot be parsed is skipped with a warning, not fatal.
    """
    rules: dict[str, MarketRules] = {}
    for symbol, market in markets.items():
        if not market.get("spot"):
            continue
        try:
            rules[symbol] = market_rules_from_exchange_info(symbol, market.get("info") or {})
        except MarketRulesError as e:
            log.warning("exchange_market_skipped", extra={"ctx": {"error": str(e)}})
    return rules
