"""Builders for tests and benchmarks: Binance-like market rules and synthetic candles.

Pure and deterministic (seeded); not used by the trading path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from imb_bot.core.models import Candle, MarketRules

__all__ = ["T0", "btc_rules", "candles_from_closes", "random_walk_closes"]

T0: Final = datetime(2024, 1, 1, tzinfo=UTC)  # start of every synthetic series


def btc_rules(**overrides: Any) -> MarketRules:
    """BTC/USDT with Binance-like filters (tick 0.01, step 0.00001, min notional 5 USDT)."""
    fields: dict[str, Any] = {
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
    return MarketRules(**fields)


def random_walk_closes(
    n: int, *, seed: int, start: float = 30_000.0, step_sd: float = 25.0
) -> npt.NDArray[np.float64]:
    """``n`` closes of a Gaussian random walk, rounded to cents and kept above 1."""
    rng = np.random.default_rng(seed)
    closes = np.round(start + np.cumsum(rng.normal(0.0, step_sd, n)), 2)
    out: npt.NDArray[np.float64] = np.maximum(closes, 1.0)
    return out


def candles_from_closes(
    closes: Iterable[float], *, start: datetime = T0, interval: timedelta = timedelta(minutes=1)
) -> list[Candle]:
    """Candles whose open/high/low/close all equal the given close, one per ``interval``."""
    out = []
    for i, close in enumerate(closes):
        price = Decimal(repr(float(close)))
        out.append(Candle(start + i * interval, price, price, price, price, Decimal(1)))
    return out
