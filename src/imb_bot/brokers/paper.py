"""Paper broker: simulated fills against live market data, with slippage and fees.

Market orders fill at once at the current ask (buy) / bid (sell) plus slippage; limit orders rest
and fill when a later ticker crosses them (the pure fill model is :mod:`imb_bot.core.paper`).
Balances live in the portfolio; the order manager persists them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from imb_bot.core.models import Fill, MarketRules, Order, OrderStatus, OrderType
from imb_bot.core.paper import PaperFillConfig, fill_market_order, match_limit_orders
from imb_bot.engine.ports import MarketData
from imb_bot.exchange.connector import OrderUpdate
from imb_bot.exchange.errors import InvalidRequestError

_ZERO = Decimal(0)
# Stored states of an order the paper venue had not accepted (or not reported) before a restart.
_NOT_ACCEPTED = frozenset({OrderStatus.PENDING_SUBMIT, OrderStatus.SUBMITTED, OrderStatus.UNKNOWN})


def _with_fills(order: Order, fills: Sequence[Fill], now: datetime) -> Order:
    filled = order.filled_quantity + sum((f.quantity for f in fills), _ZERO)
    cost = (order.average_price or _ZERO) * order.filled_quantity + sum(
        (f.price * f.quantity for f in fills), _ZERO
    )
    target = order.quantity
    done = filled >= target or order.type is OrderType.MARKET
    return replace(
        order,
        status=OrderStatus.FILLED if done and filled > 0 else order.status,
        filled_quantity=filled,
        average_price=cost / filled if filled > 0 else None,
        updated_at=now,
    )


class PaperBroker:
    """The :class:`~imb_bot.engine.ports.Broker` for PAPER mode."""

    def __init__(
        self,
        market_data: MarketData,
        rules: Mapping[str, MarketRules],
        config: PaperFillConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self._market_data = market_data
        self._rules = dict(rules)
        self._config = config
        self._clock = clock
        self._orders: dict[str, Order] = {}
        self._fills: dict[str, list[Fill]] = {}

    def _rules_of(self, symbol: str) -> MarketRules:
        try:
            return self._rules[symbol]
        except KeyError:
            raise InvalidRequestError(f"unknown symbol {symbol}", operation="paper") from None

    async def place(self, order: Order) -> OrderUpdate:
        """Fill a market order now, or accept a limit order (filled at once if it crosses)."""
        rules = self._rules_of(order.symbol)
        ticker = await self._market_data.get_ticker(order.symbol)
        accepted = replace(
            order,
            status=OrderStatus.OPEN,
            exchange_order_id=f"paper-{order.client_order_id}",
            updated_at=self._clock(),
        )
        if order.type is OrderType.MARKET:
            fills = fill_market_order(accepted, ticker, rules=rules, config=self._config)
            result = _with_fills(accepted, fills, self._clock())
            if not fills:
                result = replace(result, status=OrderStatus.EXPIRED, reason="no liquidity")
        else:
            fills = match_limit_orders([accepted], ticker, rules=rules, config=self._config)
            result = _with_fills(accepted, fills, self._clock())
        fills = [replace(f, exchange_order_id=accepted.exchange_order_id) for f in fills]
        self._orders[order.client_order_id] = result
        self._fills[order.client_order_id] = list(fills)
        return OrderUpdate(order=result, fills=tuple(fills))

    async def lookup(self, order: Order) -> OrderUpdate | None:
        """The paper venue's view of the order (it knows every order it accepted)."""
        known = self._orders.get(order.client_order_id)
        if known is None:
            return None
        return OrderUpdate(order=known, fills=tuple(self._fills[order.client_order_id]))

    async def poll(self, open_orders: Sequence[Order]) -> list[OrderUpdate]:
        """Fill resting limit orders that the current ticker crosses."""
        updates = []
        by_symbol: dict[str, list[Order]] = {}
        for order in open_orders:
            known = self._orders.get(order.client_order_id, order)
            if known.type is OrderType.LIMIT and not known.status.is_final:
                by_symbol.setdefault(known.symbol, []).append(known)
        for symbol, orders in by_symbol.items():
            ticker = await self._market_data.get_ticker(symbol)
            fills = match_limit_orders(
                orders, ticker, rules=self._rules_of(symbol), config=self._config
            )
            for order in orders:
                own = [
                    replace(f, exchange_order_id=order.exchange_order_id)
                    for f in fills
                    if f.client_order_id == order.client_order_id
                ]
                if not own:
                    continue
                # Trade ids are numbered per order: continue after the fills it already has.
                offset = len(self._fills.get(order.client_order_id, []))
                own = [
                    replace(f, trade_id=f"{order.client_order_id}-{offset + i + 1}")
                    for i, f in enumerate(own)
                ]
                updated = _with_fills(order, own, self._clock())
                self._orders[order.client_order_id] = updated
                self._fills.setdefault(order.client_order_id, []).extend(own)
                updates.append(OrderUpdate(order=updated, fills=tuple(own)))
        return updates

    async def cancel(self, order: Order) -> OrderUpdate:
        """Cancel a resting order (a final order is returned unchanged)."""
        known = self._orders.get(order.client_order_id, order)
        if not known.status.is_final:
            known = replace(known, status=OrderStatus.CANCELED, updated_at=self._clock())
            self._orders[order.client_order_id] = known
        return OrderUpdate(order=known, fills=tuple(self._fills.get(order.client_order_id, [])))

    async def recover(self, order: Order, stored_fills: Sequence[Fill]) -> OrderUpdate | None:
        """Re-accept a stored resting order after a restart (PAPER state survives restarts).

        The paper venue lives in the bot's process, so an order whose outcome was not recorded
        before the restart never executed: None.
        """
        if order.status in _NOT_ACCEPTED:
            return None
        self._orders[order.client_order_id] = order
        self._fills[order.client_order_id] = list(stored_fills)
        return OrderUpdate(order=order, fills=tuple(stored_fills))


__all__ = ["PaperBroker"]
