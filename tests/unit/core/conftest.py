"""Shared builders for core tests: market rules, candles, times."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from imb_bot.core.models import Candle, MarketRules

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def btc_rules(**overrides: object) -> MarketRules:
    """BTC/USDT with Binance-like filters: tick 0.01, step 0.00001, min notional 5."""
    fields: dict[str, object] = {
        "symbol": "BTC/USDT",
        "base_asset": "BTC",
        "quote_asset": "USDT",
        "tick_size": Decimal("0.01"),
        "step_size": Decimal("0.00001"),
        "min_quantity": Decimal("0.00001"),
        "max_quantity": Decimal("9000"),
        "min_notional": Decimal("5"),
        "max_notional": Decimal("9000000"),
        "min_price": Decimal("0.01"),
        "max_price": Decimal("1000000"),
    }
    fields.update(overrides)
    return MarketRules(**fields)  # type: ignore[arg-type]


def candles_from_closes(closes: Iterable[float], start: datetime = T0) -> list[Candle]:
    """One-minute candles whose open/high/low/close are all the given close."""
    out = []
    for i, close in enumerate(closes):
        price = Decimal(repr(float(close)))
        out.append(
            Candle(
                time=start + timedelta(minutes=i),
                open=price,
                high=price,
                low=price,
                close=price,
                volume=Decimal(1),
            )
        )
    return out


@pytest.fixture
def rules() -> MarketRules:
    """Default BTC/USDT rules."""
    return btc_rules()
