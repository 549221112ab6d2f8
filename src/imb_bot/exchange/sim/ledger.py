"""Accounts: Decimal balances (free/locked) with the orders and trades that moved them.

Every balance change goes through :meth:`Account.lock`, :meth:`Account.unlock` or
:meth:`Account.settle`, which never let ``free`` or ``locked`` go negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from imb_bot.exchange.sim.decimals import ZERO, fmt
from imb_bot.exchange.sim.errors import INSUFFICIENT_BALANCE, BinanceError
from imb_bot.exchange.sim.orders import Order, Trade

__all__ = ["Account", "Balance", "LedgerError"]


class LedgerError(AssertionError):
    """An internal bookkeeping bug (a balance would go negative); never a client error."""


@dataclass(slots=True)
class Balance:
    """Free and locked amount of one asset."""

    free: Decimal = ZERO
    locked: Decimal = ZERO

    def to_json(self) -> dict[str, str]:
        """Return ``{"free": "…", "locked": "…"}`` with Binance's decimal format."""
        return {"free": fmt(self.free), "locked": fmt(self.locked)}


@dataclass(slots=True)
class Account:
    """One API key's account on the simulated exchange."""

    api_key: str
    secret: str
    initial: dict[str, Decimal]
    balances: dict[str, Balance] = field(default_factory=dict)
    orders: dict[tuple[str, int], Order] = field(default_factory=dict)
    open_orders: dict[tuple[str, int], Order] = field(default_factory=dict)
    open_client_ids: dict[str, tuple[str, int]] = field(default_factory=dict)
    latest_by_client_id: dict[tuple[str, str], int] = field(default_factory=dict)
    trades: dict[str, list[Trade]] = field(default_factory=dict)
    update_time: int = 0

    def __post_init__(self) -> None:
        if not self.balances:
            self.balances = {asset: Balance(free=amount) for asset, amount in self.initial.items()}

    def balance(self, asset: str) -> Balance:
        """Return the balance of ``asset``, creating an empty one if needed."""
        found = self.balances.get(asset)
        if found is None:
            found = self.balances[asset] = Balance()
        return found

    def lock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from free to locked.

        Raises:
            BinanceError: -2010 insufficient balance when free is smaller than ``amount``.
        """
        bal = self.balance(asset)
        if amount > bal.free:
            raise BinanceError(400, -2010, INSUFFICIENT_BALANCE)
        bal.free -= amount
        bal.locked += amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from locked back to free."""
        bal = self.balance(asset)
        if amount > bal.locked:
            raise LedgerError(f"unlock {amount} {asset} but only {bal.locked} locked")
        bal.locked -= amount
        bal.free += amount

    def settle(
        self, *, pay_asset: str, pay: Decimal, from_locked: Decimal, get_asset: str, get: Decimal
    ) -> None:
        """Pay ``pay`` of ``pay_asset`` (``from_locked`` of it out of locked, rest from free)
        and receive ``get`` of ``get_asset``."""
        bal = self.balance(pay_asset)
        from_free = pay - from_locked
        if from_locked > bal.locked or from_free > bal.free:
            raise LedgerError(f"pay {pay} {pay_asset} exceeds balance {bal}")
        bal.locked -= from_locked
        bal.free -= from_free
        self.balance(get_asset).free += get

    def add_order(self, order: Order) -> None:
        """Register a new order (open or already final)."""
        key = (order.symbol, order.order_id)
        self.orders[key] = order
        self.latest_by_client_id[(order.symbol, order.client_order_id)] = order.order_id
        if order.is_open:
            self.open_orders[key] = order
            self.open_client_ids[order.client_order_id] = key

    def close_order(self, order: Order) -> None:
        """Forget an order that has become final from the open-order indexes."""
        key = (order.symbol, order.order_id)
        self.open_orders.pop(key, None)
        if self.open_client_ids.get(order.client_order_id) == key:
            del self.open_client_ids[order.client_order_id]

    def add_trade(self, trade: Trade) -> None:
        """Append a fill to the trade history of its symbol."""
        self.trades.setdefault(trade.symbol, []).append(trade)

    def find_order(
        self, symbol: str, order_id: int | None, client_order_id: str | None
    ) -> Order | None:
        """Look an order up by id, or else by client order id (the latest with that id)."""
        if order_id is not None:
            return self.orders.get((symbol, order_id))
        if client_order_id is not None:
            found = self.latest_by_client_id.get((symbol, client_order_id))
            if found is not None:
                return self.orders.get((symbol, found))
        return None

    def balances_json(self) -> dict[str, dict[str, str]]:
        """Return ``{asset: {"free": …, "locked": …}}`` sorted by asset."""
        return {asset: self.balances[asset].to_json() for asset in sorted(self.balances)}

    def to_state(self) -> dict[str, Any]:
        """Return the JSON-able record of the account for the state file."""
        return {
            "api_key": self.api_key,
            "secret": self.secret,
            "initial": {asset: str(amount) for asset, amount in self.initial.items()},
            "balances": {
                asset: {"free": str(b.free), "locked": str(b.locked)}
                for asset, b in self.balances.items()
            },
            "orders": [order.to_state() for order in self.orders.values()],
            "trades": [t.to_state() for trades in self.trades.values() for t in trades],
            "update_time": self.update_time,
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Account:
        """Rebuild an account saved by :meth:`to_state`."""
        account = cls(
            api_key=data["api_key"],
            secret=data["secret"],
            initial={asset: Decimal(v) for asset, v in data["initial"].items()},
            balances={
                asset: Balance(Decimal(b["free"]), Decimal(b["locked"]))
                for asset, b in data["balances"].items()
            },
            update_time=int(data.get("update_time", 0)),
        )
        by_order: dict[tuple[str, int], list[Trade]] = {}
        for record in data["trades"]:
            trade = Trade.from_state(record)
            account.add_trade(trade)
            by_order.setdefault((trade.symbol, trade.order_id), []).append(trade)
        for record in data["orders"]:
            order = Order.from_state(record)
            order.fills = by_order.get((order.symbol, order.order_id), [])
            account.add_order(order)
        return account
