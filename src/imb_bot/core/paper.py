"""Paper fill model: deterministic simulated fills for orders, with slippage and Binance fees.

* Market orders fill their remaining quantity at once: a buy at ``ask * (1 + slippage_bps/1e4)``,
  a sell at ``bid * (1 - slippage_bps/1e4)`` (or level by level through an order book, with the
  same slippage on each level's price; what the book cannot fill is not filled). A market buy
  sized in quote (``quote_quantity``) buys ``quote_quantity / price`` rounded down to the step.
* Limit orders rest until the market crosses them, then fill their remaining quantity at the
  limit price as maker: on a ticker when ``ask <= price`` (buy) / ``bid >= price`` (sell); on a
  candle only when the price traded *through* the limit, ``low < price`` / ``high > price``.
* Fees are ``fee_bps`` of the fill, charged like Binance in the received asset: a buy pays
  ``quantity * fee_bps/1e4`` base, a sell ``quantity * price * fee_bps/1e4`` quote. Prices and
  fees are exact Decimal products, not rounded to tick or commission precision.
* Trade ids are ``<client_order_id>-<n>``, n from 1, so replaying gives the same ids.

Stop-loss / take-profit checks live in :mod:`imb_bot.core.exits` (shared with live trading).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from imb_bot.core._checks import require
from imb_bot.core.execution import floor_to_step
from imb_bot.core.models import (
    Candle,
    Fill,
    MarketRules,
    Order,
    OrderBook,
    OrderType,
    Side,
    Ticker,
)

__all__ = [
    "PaperFillConfig",
    "fill_market_order",
    "fill_market_order_on_book",
    "match_limit_orders",
    "match_limit_orders_on_candle",
]

_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)
_BPS: Final = Decimal(10_000)


@dataclass(frozen=True, slots=True)
class PaperFillConfig:
    """Costs of simulated execution."""

    slippage_bps: Decimal = Decimal(5)  # market fills this much worse than best bid/ask, in bps
    fee_bps: Decimal = Decimal(10)  # fee per fill in bps of its value (Binance spot: 10)

    def __post_init__(self) -> None:
        for name in ("slippage_bps", "fee_bps"):
            value = getattr(self, name)
            ok = isinstance(value, Decimal) and _ZERO <= value < _BPS
            require(ok, name, "a Decimal in [0, 10000) bps", value)


def _remaining(order: Order) -> Decimal:
    return order.quantity - order.filled_quantity


def _fill(
    order: Order,
    rules: MarketRules,
    config: PaperFillConfig,
    *,
    number: int,
    price: Decimal,
    quantity: Decimal,
    time: datetime,
    is_maker: bool,
) -> Fill:
    rate = config.fee_bps / _BPS
    if order.side is Side.BUY:
        fee, fee_asset = quantity * rate, rules.base_asset
    else:
        fee, fee_asset = quantity * price * rate, rules.quote_asset
    return Fill(
        trade_id=f"{order.client_order_id}-{number}",
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        price=price,
        quantity=quantity,
        fee=fee,
        fee_asset=fee_asset,
        executed_at=time,
        exchange_order_id=order.exchange_order_id,
        is_maker=is_maker,
    )


def _check_market(order: Order, rules: MarketRules, symbol: str) -> None:
    if order.type is not OrderType.MARKET:
        raise ValueError(f"{order.client_order_id}: expected a MARKET order, got {order.type}")
    if order.symbol != rules.symbol or symbol != rules.symbol:
        raise ValueError(
            f"{order.client_order_id}: order {order.symbol}, market data {symbol} and "
            f"rules {rules.symbol} must be the same symbol"
        )


def _slipped(price: Decimal, side: Side, config: PaperFillConfig) -> Decimal:
    slip = config.slippage_bps / _BPS
    return price * (_ONE + slip) if side is Side.BUY else price * (_ONE - slip)


def _market_quantity(order: Order, price: Decimal, rules: MarketRules) -> Decimal:
    if order.quote_quantity is not None and order.side is Side.BUY and order.filled_quantity == 0:
        step = rules.market_step_size or rules.step_size
        return floor_to_step(order.quote_quantity / price, step)
    return _remaining(order)


def fill_market_order(
    order: Order, ticker: Ticker, *, rules: MarketRules, config: PaperFillConfig
) -> list[Fill]:
    """Fill a market order against the best bid/ask of ``ticker``; [] if nothing remains."""
    _check_market(order, rules, ticker.symbol)
    best = ticker.ask if order.side is Side.BUY else ticker.bid
    price = _slipped(best, order.side, config)
    quantity = _market_quantity(order, price, rules)
    if quantity <= _ZERO:
        return []
    return [
        _fill(
            order,
            rules,
            config,
            number=1,
            price=price,
            quantity=quantity,
            time=ticker.time,
            is_maker=False,
        )
    ]


def fill_market_order_on_book(
    order: Order,
    book: OrderBook,
    *,
    rules: MarketRules,
    config: PaperFillConfig,
    time: datetime,
) -> list[Fill]:
    """Fill a market order level by level through ``book``; one fill per level touched."""
    _check_market(order, rules, book.symbol)
    levels = book.asks if order.side is Side.BUY else book.bids
    quote_budget = order.quote_quantity if order.side is Side.BUY else None
    if order.filled_quantity != 0:
        quote_budget = None
    left = _remaining(order)
    step = rules.market_step_size or rules.step_size
    fills: list[Fill] = []
    for level_price, level_quantity in levels:
        price = _slipped(level_price, order.side, config)
        if quote_budget is not None:
            quantity = min(level_quantity, floor_to_step(quote_budget / price, step))
        else:
            quantity = min(level_quantity, left)
        if quantity <= _ZERO:
            break
        fills.append(
            _fill(
                order,
                rules,
                config,
                number=len(fills) + 1,
                price=price,
                quantity=quantity,
                time=time,
                is_maker=False,
            )
        )
        if quote_budget is not None:
            quote_budget -= quantity * price
        else:
            left -= quantity
    return fills


def _resting(orders: Iterable[Order], symbol: str) -> Iterable[tuple[Order, Decimal]]:
    # Open LIMIT orders of `symbol` with something left to fill, with their price.
    for order in orders:
        price = order.price
        if (
            order.type is OrderType.LIMIT
            and price is not None
            and order.symbol == symbol
            and not order.status.is_final
            and _remaining(order) > _ZERO
        ):
            yield order, price


def match_limit_orders(
    orders: Iterable[Order], ticker: Ticker, *, rules: MarketRules, config: PaperFillConfig
) -> list[Fill]:
    """Fill the resting limit orders of ``ticker.symbol`` that the new bid/ask crosses."""
    fills = []
    for order, price in _resting(orders, ticker.symbol):
        crossed = ticker.ask <= price if order.side is Side.BUY else ticker.bid >= price
        if crossed:
            fills.append(
                _fill(
                    order,
                    rules,
                    config,
                    number=1,
                    price=price,
                    quantity=_remaining(order),
                    time=ticker.time,
                    is_maker=True,
                )
            )
    return fills


def match_limit_orders_on_candle(
    orders: Iterable[Order],
    candle: Candle,
    *,
    rules: MarketRules,
    config: PaperFillConfig,
    time: datetime,
) -> list[Fill]:
    """Fill the resting limit orders of ``rules.symbol`` that ``candle`` traded through.

    ``time`` is the fill time to record (usually the candle's close time).
    """
    fills = []
    for order, price in _resting(orders, rules.symbol):
        crossed = candle.low < price if order.side is Side.BUY else candle.high > price
        if crossed:
            fills.append(
                _fill(
                    order,
                    rules,
                    config,
                    number=1,
                    price=price,
                    quantity=_remaining(order),
                    time=time,
                    is_maker=True,
                )
            )
    return fills
