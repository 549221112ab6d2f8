"""Orders and trades of the simulated exchange, and their Binance JSON shapes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from imb_bot.exchange.sim.decimals import ZERO, fmt

__all__ = ["FINAL_STATUSES", "Order", "Trade"]

FINAL_STATUSES = frozenset({"FILLED", "CANCELED", "EXPIRED", "REJECTED"})


@dataclass(slots=True)
class Trade:
    """One fill of one order (``myTrades`` row)."""

    symbol: str
    id: int
    order_id: int
    price: Decimal
    qty: Decimal
    quote_qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool

    def to_json(self) -> dict[str, Any]:
        """Return the ``GET /api/v3/myTrades`` object."""
        return {
            "symbol": self.symbol,
            "id": self.id,
            "orderId": self.order_id,
            "orderListId": -1,
            "price": fmt(self.price),
            "qty": fmt(self.qty),
            "quoteQty": fmt(self.quote_qty),
            "commission": fmt(self.commission),
            "commissionAsset": self.commission_asset,
            "time": self.time,
            "isBuyer": self.is_buyer,
            "isMaker": self.is_maker,
            "isBestMatch": True,
        }

    def to_state(self) -> dict[str, Any]:
        """Return a JSON-able record for the state file (decimals as strings)."""
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Trade:
        """Rebuild a trade saved by :meth:`to_state`."""
        values = dict(data)
        for name in ("price", "qty", "quote_qty", "commission"):
            values[name] = Decimal(values[name])
        return cls(**values)


@dataclass(slots=True)
class Order:
    """An order and its execution state; ``reserved`` is what it still locks in the ledger.

    ``reserved`` is in the quote asset for BUY LIMIT orders (price × remaining quantity) and in
    the base asset for SELL LIMIT orders (remaining quantity); it is 0 once the order is final.
    """

    symbol: str
    order_id: int
    client_order_id: str
    side: str  # BUY | SELL
    type: str  # MARKET | LIMIT | LIMIT_MAKER
    time_in_force: str  # GTC | IOC | FOK
    price: Decimal
    orig_qty: Decimal
    orig_quote_order_qty: Decimal
    time: int
    update_time: int
    status: str = "NEW"
    executed_qty: Decimal = ZERO
    cummulative_quote_qty: Decimal = ZERO
    reserved: Decimal = ZERO
    fills: list[Trade] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """True while the order can still fill (NEW or PARTIALLY_FILLED)."""
        return self.status not in FINAL_STATUSES

    @property
    def remaining(self) -> Decimal:
        """Quantity not filled yet."""
        return self.orig_qty - self.executed_qty

    def _common(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "orderId": self.order_id,
            "orderListId": -1,
            "clientOrderId": self.client_order_id,
            "price": fmt(self.price),
            "origQty": fmt(self.orig_qty),
            "executedQty": fmt(self.executed_qty),
            "origQuoteOrderQty": fmt(self.orig_quote_order_qty),
            "cummulativeQuoteQty": fmt(self.cummulative_quote_qty),
            "status": self.status,
            "timeInForce": self.time_in_force,
            "type": self.type,
            "side": self.side,
        }

    def response_text(self, resp_type: str) -> str:
        """The ``POST /api/v3/order`` answer as JSON text (hot path: no generic encoder).

        Symbols and client order ids are validated to ``[A-Za-z0-9-_]``, so nothing needs escaping.
        """
        head = (
            f'{{"symbol":"{self.symbol}","orderId":{self.order_id},"orderListId":-1,'
            f'"clientOrderId":"{self.client_order_id}","transactTime":{self.time}'
        )
        if resp_type == "ACK":
            return head + "}"
        text = (
            f'{head},"price":"{fmt(self.price)}","origQty":"{fmt(self.orig_qty)}",'
            f'"executedQty":"{fmt(self.executed_qty)}",'
            f'"origQuoteOrderQty":"{fmt(self.orig_quote_order_qty)}",'
            f'"cummulativeQuoteQty":"{fmt(self.cummulative_quote_qty)}",'
            f'"status":"{self.status}","timeInForce":"{self.time_in_force}",'
            f'"type":"{self.type}","side":"{self.side}","workingTime":{self.time},'
            f'"selfTradePreventionMode":"NONE"'
        )
        if resp_type != "FULL":
            return text + "}"
        fills = ",".join(
            f'{{"price":"{fmt(t.price)}","qty":"{fmt(t.qty)}","commission":"{fmt(t.commission)}",'
            f'"commissionAsset":"{t.commission_asset}","tradeId":{t.id}}}'
            for t in self.fills
        )
        return f'{text},"fills":[{fills}]}}'

    def query_json(self) -> dict[str, Any]:
        """Return the ``GET /api/v3/order`` / ``openOrders`` / ``allOrders`` object."""
        data = self._common()
        data["stopPrice"] = "0.00000000"
        data["icebergQty"] = "0.00000000"
        data["time"] = self.time
        data["updateTime"] = self.update_time
        data["isWorking"] = True
        data["workingTime"] = self.time
        data["selfTradePreventionMode"] = "NONE"
        return data

    def cancel_json(self, cancel_client_id: str) -> dict[str, Any]:
        """Return the ``DELETE /api/v3/order`` answer (``clientOrderId`` is the cancel's id)."""
        data = self._common()
        data["origClientOrderId"] = self.client_order_id
        data["clientOrderId"] = cancel_client_id
        data["transactTime"] = self.update_time
        data["selfTradePreventionMode"] = "NONE"
        return data

    def to_state(self) -> dict[str, Any]:
        """Return a JSON-able record for the state file (fills are stored as trades)."""
        return {
            "symbol": self.symbol,
            "order_id": self.order_id,
            "client_order_id": self.client_order_id,
            "side": self.side,
            "type": self.type,
            "time_in_force": self.time_in_force,
            "price": str(self.price),
            "orig_qty": str(self.orig_qty),
            "orig_quote_order_qty": str(self.orig_quote_order_qty),
            "time": self.time,
            "update_time": self.update_time,
            "status": self.status,
            "executed_qty": str(self.executed_qty),
            "cummulative_quote_qty": str(self.cummulative_quote_qty),
            "reserved": str(self.reserved),
        }

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Order:
        """Rebuild an order saved by :meth:`to_state` (without its fills list)."""
        values = dict(data)
        for name in (
            "price",
            "orig_qty",
            "orig_quote_order_qty",
            "executed_qty",
            "cummulative_quote_qty",
            "reserved",
        ):
            values[name] = Decimal(values[name])
        return cls(**values)
