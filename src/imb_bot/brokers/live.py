"""Live broker: orders go to the exchange (Binance Spot Testnet or the simulator) via the connector.

Sends each order once with its client id; an ambiguous submission comes back as
``OutcomeUnknown`` and is resolved by the order manager through :meth:`LiveBroker.lookup`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from imb_bot.core.models import Fill, Order
from imb_bot.exchange.connector import ExchangeConnector, OrderUpdate, PlaceOrderResult
from imb_bot.exchange.errors import OrderNotFoundError


class LiveBroker:
    """The :class:`~imb_bot.engine.ports.Broker` for LIVE_TESTNET."""

    def __init__(self, connector: ExchangeConnector) -> None:
        self._connector = connector

    async def place(self, order: Order) -> PlaceOrderResult:
        """Submit once (never retried by the connector)."""
        return await self._connector.place_order(order)

    async def lookup(self, order: Order) -> OrderUpdate | None:
        """Fetch the order and its fills by client id; None if the exchange does not know it."""
        try:
            return await self._connector.fetch_order(
                order.symbol, client_order_id=order.client_order_id
            )
        except OrderNotFoundError:
            return None

    async def recover(self, order: Order, stored_fills: Sequence[Fill]) -> OrderUpdate | None:
        """The exchange's view by client id (it has every fill, so the stored ones are unused)."""
        return await self.lookup(order)

    async def poll(self, open_orders: Sequence[Order]) -> list[OrderUpdate]:
        """Re-read every open order; updates only for those whose state or fills changed."""
        updates = []
        for order in open_orders:
            update = await self.lookup(order)
            if update is None:
                continue
            if (
                update.order.status != order.status
                or update.order.filled_quantity != order.filled_quantity
            ):
                updates.append(update)
        return updates

    async def cancel(self, order: Order) -> OrderUpdate:
        """Cancel by client id and return the final state with any fills it had."""
        # Already final → OrderNotFoundError; the look-up below tells which way it ended.
        with contextlib.suppress(OrderNotFoundError):
            await self._connector.cancel_order(order.symbol, client_order_id=order.client_order_id)
        update = await self.lookup(order)
        if update is None:
            raise OrderNotFoundError(
                f"order {order.client_order_id} is unknown to the exchange", operation="cancel"
            )
        return update
