"""Start-up reconciliation: make the store agree with the venue before trading.

Every non-final stored order is looked up by client id: fills missing locally are recorded (the
store ignores trades it already has) and booked; an order the venue does not know becomes
REJECTED. In LIVE_TESTNET, orders of ours that are open at the exchange but unknown to the store
and positions larger than the exchange balance are reported: the caller then stays HALTED.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from imb_bot.config.settings import TradingMode
from imb_bot.core.execution import ClientOrderIdFactory
from imb_bot.core.models import MarketRules, OrderStatus
from imb_bot.core.portfolio import Portfolio
from imb_bot.db.async_store import AsyncStore
from imb_bot.engine.order_manager import OrderManager
from imb_bot.engine.ports import Broker
from imb_bot.exchange.connector import ExchangeConnector, OrderUpdate
from imb_bot.monitoring.logging import log_event

log = logging.getLogger(__name__)


async def reconcile(
    *,
    mode: TradingMode,
    store: AsyncStore | None,
    orders: OrderManager,
    broker: Broker,
    connector: ExchangeConnector | None,
    portfolio: Portfolio,
    rules: Mapping[str, MarketRules],
) -> list[str]:
    """Reconcile stored orders (and, live, balances); return the problems that remain."""
    problems: list[str] = []
    if store is None:
        return problems
    stored_open = await store.load_open_orders(mode)
    resolved = 0
    for order in stored_open:
        known_fills = await store.load_fills(order.client_order_id)
        orders.mark_booked(known_fills)
        update = await broker.recover(order, known_fills)
        if update is None:
            reason = "unknown to the venue at start-up (not sent before the restart)"
            update = OrderUpdate(order=replace(order, status=OrderStatus.REJECTED, reason=reason))
        await orders.apply_update(update, local=order)
        resolved += 1
    if connector is not None:
        problems += await check_against_exchange(connector, store, portfolio, rules)
    log_event(
        log,
        logging.INFO if not problems else logging.ERROR,
        "reconciliation_done",
        mode=mode.value,
        orders_checked=resolved,
        open_orders=len(orders.open_orders),
        problems=problems,
    )
    return problems


async def check_against_exchange(
    connector: ExchangeConnector,
    store: AsyncStore,
    portfolio: Portfolio,
    rules: Mapping[str, MarketRules],
) -> list[str]:
    """Return what disagrees between our books and the exchange (empty: consistent)."""
    problems = []
    for symbol in rules:
        for order in await connector.fetch_open_orders(symbol):
            if ClientOrderIdFactory.parse(order.client_order_id) is None:
                continue  # placed by someone else (e.g. by hand): not ours to manage
            if await store.load_order(order.client_order_id) is None:
                problems.append(
                    f"order {order.client_order_id} ({symbol}) is open at the exchange "
                    "but unknown to the store"
                )
    balances = await connector.get_balances(include_zero=True)
    for symbol, market in rules.items():
        held = portfolio.position(symbol).quantity
        balance = balances.get(market.base_asset)
        available = balance.total if balance is not None else Decimal(0)
        if held - available > market.step_size:
            problems.append(
                f"position {symbol} is {_plain(held)} {market.base_asset} but the exchange "
                f"holds only {_plain(available)}"
            )
    return problems


def _plain(value: Decimal) -> str:
    # Decimal for people: no exponent (0E-8 → 0), no trailing zeros.
    return format(value.normalize(), "f") if value else "0"
