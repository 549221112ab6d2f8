"""Raw Binance Spot REST payloads → domain models (Decimal from the exchange's strings, UTC).

Pure functions; the connector passes them ccxt's ``info`` dicts or the raw implicit-API answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from imb_bot.core.models import (
    Balance,
    Candle,
    Fill,
    Order,
    OrderBook,
    OrderStatus,
    OrderType,
    Side,
    Ticker,
    TimeInForce,
)

__all__ = [
    "Kline",
    "balances_from_account",
    "fills_from_order_response",
    "fills_from_trades",
    "kline_from_raw",
    "ms_to_datetime",
    "order_book_from_depth",
    "order_from_response",
    "ticker_from_24hr",
]

_STATUS = {
    "NEW": OrderStatus.OPEN,
    "PENDING_NEW": OrderStatus.SUBMITTED,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELED,
    "PENDING_CANCEL": OrderStatus.OPEN,  # still working until the cancel completes
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,
}


def ms_to_datetime(ms: int | float | str) -> datetime:
    """Return the UTC datetime of epoch milliseconds ``ms``."""
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _opt_dec(raw: Mapping[str, Any], key: str) -> Decimal | None:
    value = raw.get(key)
    return None if value is None or value == "" else Decimal(str(value))


@dataclass(frozen=True, slots=True)
class Kline:
    """One raw kline with its close time, so closedness can be judged on server time."""

    candle: Candle
    open_time_ms: int
    close_time_ms: int  # open time + interval - 1 ms


def kline_from_raw(row: Sequence[Any]) -> Kline:
    """Parse ``[openTime, "o", "h", "l", "c", "v", closeTime, …]`` from GET /api/v3/klines."""
    open_ms = int(row[0])
    candle = Candle(
        time=ms_to_datetime(open_ms),
        open=_dec(row[1]),
        high=_dec(row[2]),
        low=_dec(row[3]),
        close=_dec(row[4]),
        volume=_dec(row[5]),
    )
    return Kline(candle, open_ms, int(row[6]))


def ticker_from_24hr(symbol: str, raw: Mapping[str, Any]) -> Ticker:
    """Parse a GET /api/v3/ticker/24hr object for unified ``symbol``."""
    time_ms = raw.get("closeTime")
    return Ticker(
        symbol=symbol,
        bid=_dec(raw["bidPrice"]),
        ask=_dec(raw["askPrice"]),
        last=_dec(raw["lastPrice"]),
        time=ms_to_datetime(time_ms) if time_ms is not None else datetime.now(UTC),
        bid_quantity=_opt_dec(raw, "bidQty"),
        ask_quantity=_opt_dec(raw, "askQty"),
        high_24h=_opt_dec(raw, "highPrice"),
        low_24h=_opt_dec(raw, "lowPrice"),
        volume_24h=_opt_dec(raw, "volume"),
    )


def order_book_from_depth(symbol: str, raw: Mapping[str, Any]) -> OrderBook:
    """Parse a GET /api/v3/depth answer (levels are ``["price", "qty"]`` strings)."""
    bids = tuple((_dec(p), _dec(q)) for p, q, *_ in raw.get("bids") or ())
    asks = tuple((_dec(p), _dec(q)) for p, q, *_ in raw.get("asks") or ())
    return OrderBook(symbol=symbol, bids=bids, asks=asks)


def balances_from_account(raw: Mapping[str, Any], *, include_zero: bool) -> dict[str, Balance]:
    """Parse GET /api/v3/account ``balances`` into ``{asset: Balance}``."""
    result: dict[str, Balance] = {}
    for entry in raw.get("balances") or ():
        balance = Balance(
            asset=str(entry["asset"]), free=_dec(entry["free"]), locked=_dec(entry["locked"])
        )
        if include_zero or balance.total != 0:
            result[balance.asset] = balance
    return result


def _order_time(raw: Mapping[str, Any]) -> datetime | None:
    for key in ("time", "transactTime", "workingTime", "updateTime"):
        if raw.get(key) is not None:
            return ms_to_datetime(raw[key])
    return None


def _client_order_id(raw: Mapping[str, Any]) -> str:
    # A cancel answer carries the cancel's own id in clientOrderId; ours is origClientOrderId.
    return str(raw.get("origClientOrderId") or raw.get("clientOrderId") or "")


def order_from_response(symbol: str, raw: Mapping[str, Any], *, base: Order | None = None) -> Order:
    """Build the :class:`Order` an exchange order object describes.

    ``raw`` is an order answer of POST/GET/DELETE /api/v3/order or openOrders. With ``base`` (the
    order we sent) the bot's own fields (reason, strategy, created_at) are kept and only the
    exchange-owned fields are updated.
    """
    status = _STATUS.get(str(raw.get("status", "")), OrderStatus.SUBMITTED)
    filled = _opt_dec(raw, "executedQty") or Decimal(0)
    quote_filled = _opt_dec(raw, "cummulativeQuoteQty") or Decimal(0)
    average = quote_filled / filled if filled > 0 and quote_filled > 0 else None
    updated = None
    for key in ("updateTime", "transactTime", "workingTime", "time"):
        if raw.get(key) is not None:
            updated = ms_to_datetime(raw[key])
            break
    exchange_id = str(raw["orderId"]) if raw.get("orderId") is not None else None
    if base is not None:
        return replace(
            base,
            status=status,
            exchange_order_id=exchange_id or base.exchange_order_id,
            filled_quantity=filled,
            average_price=average,
            updated_at=updated or base.updated_at,
        )
    order_type = OrderType.MARKET if raw.get("type") == "MARKET" else OrderType.LIMIT
    price = _opt_dec(raw, "price")
    quote_qty = _opt_dec(raw, "origQuoteOrderQty")
    tif = raw.get("timeInForce")
    created = _order_time(raw) or updated
    if created is None:
        created = datetime.now(UTC)
    return Order(
        client_order_id=_client_order_id(raw),
        symbol=symbol,
        side=Side(str(raw["side"])),
        type=order_type,
        quantity=_opt_dec(raw, "origQty") or Decimal(0),
        created_at=created,
        price=price if order_type is OrderType.LIMIT and price else None,
        quote_quantity=quote_qty if quote_qty else None,
        time_in_force=TimeInForce(tif) if order_type is OrderType.LIMIT and tif else None,
        status=status,
        exchange_order_id=exchange_id,
        filled_quantity=filled,
        average_price=average,
        updated_at=updated,
    )


def fills_from_order_response(order: Order, raw: Mapping[str, Any]) -> tuple[Fill, ...]:
    """Parse the ``fills`` of a FULL POST /api/v3/order answer for ``order``."""
    executed_at = ms_to_datetime(raw["transactTime"]) if raw.get("transactTime") else None
    fills = []
    for entry in raw.get("fills") or ():
        fills.append(
            Fill(
                trade_id=str(entry["tradeId"]),
                client_order_id=order.client_order_id,
                symbol=order.symbol,
                side=order.side,
                price=_dec(entry["price"]),
                quantity=_dec(entry["qty"]),
                fee=_dec(entry.get("commission", "0")),
                fee_asset=str(entry.get("commissionAsset", "")),
                executed_at=executed_at or order.updated_at or order.created_at,
                exchange_order_id=order.exchange_order_id,
            )
        )
    return tuple(fills)


def fills_from_trades(
    symbol: str, trades: Iterable[Mapping[str, Any]], client_order_ids: Mapping[str, str]
) -> list[Fill]:
    """Parse GET /api/v3/myTrades rows; ``client_order_ids`` maps exchange order id → ours.

    A trade whose order id is not in the map gets an empty ``client_order_id``.
    """
    fills = []
    for raw in trades:
        order_id = str(raw["orderId"])
        quote_qty = _opt_dec(raw, "quoteQty")
        fills.append(
            Fill(
                trade_id=str(raw["id"]),
                client_order_id=client_order_ids.get(order_id, ""),
                symbol=symbol,
                side=Side.BUY if raw.get("isBuyer") else Side.SELL,
                price=_dec(raw["price"]),
                quantity=_dec(raw["qty"]),
                fee=_dec(raw.get("commission", "0")),
                fee_asset=str(raw.get("commissionAsset", "")),
                executed_at=ms_to_datetime(raw["time"]),
                exchange_order_id=order_id,
                quote_quantity=quote_qty if quote_qty is not None else Decimal(0),
                is_maker=bool(raw.get("isMaker", False)),
            )
        )
    return fills
