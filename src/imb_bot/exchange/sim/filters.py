"""Symbol filter checks with Binance's exact ``-1013 Filter failure: <FILTER>`` rejections."""

from __future__ import annotations

from decimal import Decimal

from imb_bot.exchange.sim.decimals import ZERO, is_multiple
from imb_bot.exchange.sim.errors import filter_failure
from imb_bot.exchange.sim.markets import MarketSpec

__all__ = ["check_limit_order", "check_market_notional", "check_market_qty"]


def _check_price(spec: MarketSpec, price: Decimal) -> None:
    if price < spec.min_price or (spec.max_price > ZERO and price > spec.max_price):
        raise filter_failure("PRICE_FILTER")
    if not is_multiple(price - spec.min_price, spec.tick_size):
        raise filter_failure("PRICE_FILTER")


def _check_lot(spec: MarketSpec, qty: Decimal) -> None:
    if qty < spec.min_qty or qty > spec.max_qty:
        raise filter_failure("LOT_SIZE")
    if not is_multiple(qty - spec.min_qty, spec.step_size):
        raise filter_failure("LOT_SIZE")


def _check_notional(spec: MarketSpec, notional: Decimal, *, apply_max: bool) -> None:
    if notional < spec.min_notional or (apply_max and notional > spec.max_notional):
        raise filter_failure("NOTIONAL")


def check_limit_order(spec: MarketSpec, price: Decimal, qty: Decimal) -> None:
    """Check PRICE_FILTER, LOT_SIZE and NOTIONAL of a LIMIT order.

    Raises:
        BinanceError: -1013 naming the first filter that fails.
    """
    _check_price(spec, price)
    _check_lot(spec, qty)
    _check_notional(spec, price * qty, apply_max=True)


def check_market_qty(spec: MarketSpec, qty: Decimal, avg_price: Decimal) -> None:
    """Check LOT_SIZE, MARKET_LOT_SIZE and NOTIONAL (at ``avg_price``) of a MARKET order.

    Raises:
        BinanceError: -1013 naming the first filter that fails.
    """
    _check_lot(spec, qty)
    if qty > spec.market_max_qty:
        raise filter_failure("MARKET_LOT_SIZE")
    _check_notional(spec, avg_price * qty, apply_max=False)


def check_market_notional(spec: MarketSpec, quote_qty: Decimal) -> None:
    """Check NOTIONAL of a MARKET order given as ``quoteOrderQty``.

    Raises:
        BinanceError: -1013 Filter failure: NOTIONAL.
    """
    _check_notional(spec, quote_qty, apply_max=False)
