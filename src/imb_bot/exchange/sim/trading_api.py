"""Signed endpoints: account, order (POST/GET/DELETE), openOrders, allOrders, myTrades.

Handlers get the authenticated :class:`Account`; every state change is saved (``persist``)
before the answer is built, so a crash after the answer can never lose an acknowledged order.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from imb_bot.exchange.sim.errors import NO_SUCH_ORDER, BinanceError
from imb_bot.exchange.sim.ledger import Account
from imb_bot.exchange.sim.params import (
    Params,
    optional_int,
    parse_order_request,
    required_symbol,
)
from imb_bot.exchange.sim.venue import SimExchange

__all__ = ["TradingApi"]

DAY_MS = 86_400_000


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


class TradingApi:
    """Account and order handlers over one :class:`SimExchange`."""

    def __init__(self, exchange: SimExchange) -> None:
        self.ex = exchange

    def account(self, params: Params, account: Account) -> str:
        """``GET /api/v3/account`` (``omitZeroBalances=true`` drops empty assets)."""
        self.ex.sync()
        omit_zero = params.get("omitZeroBalances") == "true"
        assets = sorted(set(self.ex.assets) | set(account.balances))
        balances = []
        for asset in assets:
            bal = account.balance(asset)
            if omit_zero and not bal.free and not bal.locked:
                continue
            balances.append({"asset": asset, **bal.to_json()})
        rate = self.ex.commission_rate_text()
        bps = self.ex.commission_bps()
        return _dumps(
            {
                "makerCommission": bps,
                "takerCommission": bps,
                "buyerCommission": 0,
                "sellerCommission": 0,
                "commissionRates": {
                    "maker": rate,
                    "taker": rate,
                    "buyer": "0.00000000",
                    "seller": "0.00000000",
                },
                "canTrade": True,
                "canWithdraw": False,
                "canDeposit": False,
                "brokered": False,
                "requireSelfTradePrevention": False,
                "preventSor": False,
                "updateTime": account.update_time,
                "accountType": "SPOT",
                "balances": balances,
                "permissions": ["SPOT"],
                "uid": zlib.crc32(account.api_key.encode()),
            }
        )

    def new_order(self, params: Params, account: Account) -> str:
        """``POST /api/v3/order``."""
        request = parse_order_request(params, self.ex.markets)
        resp_type = params.get("newOrderRespType") or "FULL"
        now = self.ex.sync()
        order = self.ex.engine.place(account, request, now)
        self.ex.persist()
        return order.response_text(resp_type)

    def _lookup(self, params: Params, account: Account) -> tuple[str, int | None, str | None]:
        symbol = required_symbol(params, self.ex.markets)
        order_id = optional_int(params, "orderId")
        client_id = params.get("origClientOrderId") or None
        if order_id is None and client_id is None:
            raise BinanceError(
                400,
                -1102,
                "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        return symbol, order_id, client_id

    def query_order(self, params: Params, account: Account) -> str:
        """``GET /api/v3/order`` by ``orderId`` or ``origClientOrderId``."""
        symbol, order_id, client_id = self._lookup(params, account)
        self.ex.sync()
        order = account.find_order(symbol, order_id, client_id)
        if order is None:
            raise BinanceError(400, -2013, NO_SUCH_ORDER)
        return _dumps(order.query_json())

    def cancel_order(self, params: Params, account: Account) -> str:
        """``DELETE /api/v3/order``; ``clientOrderId`` in the answer is the cancel's own id."""
        symbol, order_id, client_id = self._lookup(params, account)
        now = self.ex.sync()
        order = self.ex.engine.cancel(account, symbol, order_id, client_id, now)
        self.ex.persist()
        cancel_id = params.get("newClientOrderId") or self.ex.engine.cancel_client_id(
            account, order, now
        )
        return _dumps(order.cancel_json(cancel_id))

    def open_orders(self, params: Params, account: Account) -> str:
        """``GET /api/v3/openOrders`` (all symbols when ``symbol`` is absent)."""
        symbol = required_symbol(params, self.ex.markets) if params.get("symbol") else None
        self.ex.sync()
        orders = [
            order
            for order in account.open_orders.values()
            if symbol is None or order.symbol == symbol
        ]
        orders.sort(key=lambda o: (o.time, o.symbol, o.order_id))
        return _dumps([order.query_json() for order in orders])

    def cancel_open_orders(self, params: Params, account: Account) -> str:
        """``DELETE /api/v3/openOrders``: cancel every open order of ``symbol``."""
        symbol = required_symbol(params, self.ex.markets)
        now = self.ex.sync()
        targets = [o for o in account.open_orders.values() if o.symbol == symbol]
        if not targets:
            raise BinanceError(400, -2011, "Unknown order sent.")
        answers = []
        for order in sorted(targets, key=lambda o: o.order_id):
            self.ex.engine.cancel(account, symbol, order.order_id, None, now)
            answers.append(order.cancel_json(self.ex.engine.cancel_client_id(account, order, now)))
        self.ex.persist()
        return _dumps(answers)

    def all_orders(self, params: Params, account: Account) -> str:
        """``GET /api/v3/allOrders``: from ``orderId`` up, or the latest ``limit`` orders."""
        symbol = required_symbol(params, self.ex.markets)
        from_id = optional_int(params, "orderId")
        start = optional_int(params, "startTime")
        end = optional_int(params, "endTime")
        limit = min(optional_int(params, "limit", 1) or 500, 1000)
        self.ex.sync()
        orders = sorted(
            (o for o in account.orders.values() if o.symbol == symbol),
            key=lambda o: o.order_id,
        )
        selected = _window(
            orders, from_id=from_id, start=start, end=end, limit=limit, ident=lambda o: o.order_id
        )
        return _dumps([order.query_json() for order in selected])

    def my_trades(self, params: Params, account: Account) -> str:
        """``GET /api/v3/myTrades`` with ``orderId``, ``fromId``, ``startTime``/``endTime``."""
        symbol = required_symbol(params, self.ex.markets)
        order_id = optional_int(params, "orderId")
        from_id = optional_int(params, "fromId")
        start = optional_int(params, "startTime")
        end = optional_int(params, "endTime")
        limit = min(optional_int(params, "limit", 1) or 500, 1000)
        if start is not None and end is not None and end - start > DAY_MS:
            raise BinanceError(400, -1127, "More than 24 hours between startTime and endTime.")
        self.ex.sync()
        trades = account.trades.get(symbol, [])
        if order_id is not None:
            trades = [t for t in trades if t.order_id == order_id]
        selected = _window(
            trades, from_id=from_id, start=start, end=end, limit=limit, ident=lambda t: t.id
        )
        return _dumps([trade.to_json() for trade in selected])


class _Timed(Protocol):
    @property
    def time(self) -> int: ...


_T = TypeVar("_T", bound=_Timed)


def _window(
    items: list[_T],
    *,
    from_id: int | None,
    start: int | None,
    end: int | None,
    limit: int,
    ident: Callable[[_T], int],
) -> list[_T]:
    # Binance's selection: from an id upwards, else by time, else the most recent `limit`
    if from_id is not None:
        return [item for item in items if ident(item) >= from_id][:limit]
    if start is not None or end is not None:
        chosen = [
            item
            for item in items
            if (start is None or item.time >= start) and (end is None or item.time <= end)
        ]
        return chosen[:limit] if start is not None else chosen[-limit:]
    return items[-limit:]
