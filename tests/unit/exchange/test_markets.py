"""MarketRules from raw exchangeInfo filters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from imb_bot.exchange.markets import (
    MarketRulesError,
    market_rules_from_exchange_info,
    spot_rules_from_markets,
)


def _info(*filters: dict[str, Any]) -> dict[str, Any]:
    return {
        "symbol": "BTCUSDT",
        "status": "TRADING",
        "baseAsset": "BTC",
        "quoteAsset": "USDT",
        "filters": list(filters),
    }


PRICE = {
    "filterType": "PRICE_FILTER",
    "minPrice": "0.01000000",
    "maxPrice": "1000000.00000000",
    "tickSize": "0.01000000",
}
LOT = {
    "filterType": "LOT_SIZE",
    "minQty": "0.00001000",
    "maxQty": "9000.00000000",
    "stepSize": "0.00001000",
}
NOTIONAL = {
    "filterType": "NOTIONAL",
    "minNotional": "5.00000000",
    "applyMinToMarket": True,
    "maxNotional": "9000000.00000000",
    "applyMaxToMarket": False,
    "avgPriceMins": 5,
}
MARKET_LOT = {
    "filterType": "MARKET_LOT_SIZE",
    "minQty": "0.00000000",
    "maxQty": "100.00000000",
    "stepSize": "0.00000000",
}


def test_parse_when_all_filters_present_reads_exact_decimals() -> None:
    rules = market_rules_from_exchange_info("BTC/USDT", _info(PRICE, LOT, NOTIONAL, MARKET_LOT))

    assert rules.symbol == "BTC/USDT"
    assert (rules.base_asset, rules.quote_asset) == ("BTC", "USDT")
    assert rules.tick_size == Decimal("0.01")
    assert rules.step_size == Decimal("0.00001")
    assert rules.min_quantity == Decimal("0.00001")
    assert rules.max_quantity == Decimal("9000")
    assert rules.min_notional == Decimal("5")
    assert rules.max_notional == Decimal("9000000")
    assert rules.min_price == Decimal("0.01")
    assert rules.max_price == Decimal("1000000")
    assert rules.market_max_quantity == Decimal("100")
    assert rules.market_step_size is None  # 0 means "no rule"


def test_parse_when_legacy_min_notional_uses_it() -> None:
    legacy = {"filterType": "MIN_NOTIONAL", "minNotional": "10.0", "applyToMarket": True}

    rules = market_rules_from_exchange_info("BTC/USDT", _info(PRICE, LOT, legacy))

    assert rules.min_notional == Decimal("10.0")
    assert rules.max_notional is None


def test_parse_when_no_notional_filter_minimum_is_zero() -> None:
    rules = market_rules_from_exchange_info("BTC/USDT", _info(PRICE, LOT))

    assert rules.min_notional == 0
    assert rules.market_min_quantity is None


@pytest.mark.parametrize("missing", ["PRICE_FILTER", "LOT_SIZE"])
def test_parse_when_required_filter_missing_raises_naming_it(missing: str) -> None:
    filters = [f for f in (PRICE, LOT) if f["filterType"] != missing]

    with pytest.raises(MarketRulesError, match=missing):
        market_rules_from_exchange_info("BTC/USDT", _info(*filters))


def test_parse_when_value_not_decimal_raises_naming_field() -> None:
    bad = {**LOT, "stepSize": "abc"}

    with pytest.raises(MarketRulesError, match="stepSize"):
        market_rules_from_exchange_info("BTC/USDT", _info(PRICE, bad))


def test_spot_rules_when_markets_mixed_keeps_parsable_spot_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    markets = {
        "BTC/USDT": {"spot": True, "info": _info(PRICE, LOT, NOTIONAL)},
        "BTC/USDT:USDT": {"spot": False, "info": _info(PRICE, LOT)},
        "BAD/USDT": {"spot": True, "info": _info(PRICE)},
    }

    rules = spot_rules_from_markets(markets)

    assert list(rules) == ["BTC/USDT"]
    assert any("LOT_SIZE" in str(r.__dict__) for r in caplog.records)
