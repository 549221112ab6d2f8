"""Request parameter parsing with Binance's error codes (-1100, -1102, -1106, -1111, -1121…)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import unquote_plus

from imb_bot.exchange.sim.errors import INVALID_SYMBOL, BinanceError, bad_param, mandatory_param
from imb_bot.exchange.sim.matching import OrderRequest

__all__ = [
    "Params",
    "optional_int",
    "parse_order_request",
    "parse_query",
    "required_symbol",
    "symbol_list",
]

Params = dict[str, str]
_DECIMAL = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")
_DECIMAL_RANGE = "^([0-9]{1,20})(\\.[0-9]{1,20})?$"
_CLIENT_ID = re.compile(r"^[a-zA-Z0-9-_]{1,36}$")
_CLIENT_ID_RANGE = "^[a-zA-Z0-9-_]{1,36}$"
_SIDES = frozenset({"BUY", "SELL"})
_SUPPORTED_TYPES = frozenset({"LIMIT", "MARKET", "LIMIT_MAKER"})
_BINANCE_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
_TIME_IN_FORCE = frozenset({"GTC", "IOC", "FOK"})
RESPONSE_TYPES = frozenset({"ACK", "RESULT", "FULL"})


def parse_query(raw: bytes, into: Params | None = None) -> Params:
    """Parse ``a=1&b=2`` (form or query string encoding) into ``into`` (later keys win)."""
    params: Params = {} if into is None else into
    if not raw:
        return params
    for part in raw.decode("utf-8", "replace").split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        if "%" in value or "+" in value:
            value = unquote_plus(value)
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        params[key] = value
    return params


def required_symbol(params: Params, markets: Mapping[str, object]) -> str:
    """Return ``symbol``.

    Raises:
        BinanceError: -1102 when missing, -1121 when not listed.
    """
    symbol = params.get("symbol")
    if not symbol:
        raise mandatory_param("symbol")
    if symbol not in markets:
        raise BinanceError(400, -1121, INVALID_SYMBOL)
    return symbol


def symbol_list(params: Params, markets: Mapping[str, object]) -> list[str] | None:
    """Return the symbols named by ``symbol`` or ``symbols`` (a JSON array), None if neither.

    Raises:
        BinanceError: -1100 malformed list, -1121 unknown symbol, -1128 both given.
    """
    one = params.get("symbol")
    many = params.get("symbols")
    if one and many:
        raise BinanceError(400, -1128, "Combination of optional parameters invalid.")
    if one:
        if one not in markets:
            raise BinanceError(400, -1121, INVALID_SYMBOL)
        return [one]
    if not many:
        return None
    try:
        names = json.loads(many)
    except json.JSONDecodeError:
        names = None
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise bad_param("symbols", '^\\["[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}\\]$')
    for name in names:
        if name not in markets:
            raise BinanceError(400, -1121, INVALID_SYMBOL)
    return list(dict.fromkeys(names))


def optional_int(params: Params, name: str, low: int = 0, high: int = 2**63 - 1) -> int | None:
    """Return an integer parameter if present.

    Raises:
        BinanceError: -1100 when it is not an integer in [low, high].
    """
    text = params.get(name)
    if text is None or text == "":
        return None
    if not text.lstrip("-").isdigit():
        raise bad_param(name, "^[0-9]{1,20}$")
    value = int(text)
    if not low <= value <= high:
        raise bad_param(name, f"{low}-{high}")
    return value


def _decimal(params: Params, name: str) -> Decimal | None:
    text = params.get(name)
    if text is None or text == "":
        return None
    if not _DECIMAL.match(text):
        raise bad_param(name, _DECIMAL_RANGE)
    value = Decimal(text)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -8:
        raise BinanceError(400, -1111, "Precision is over the maximum defined for this asset.")
    return value


def _not_required(name: str) -> BinanceError:
    return BinanceError(400, -1106, f"Parameter '{name}' sent when not required.")


def parse_order_request(params: Params, markets: Mapping[str, object]) -> OrderRequest:
    """Turn ``POST /api/v3/order`` parameters into an :class:`OrderRequest`.

    Raises:
        BinanceError: the code and message Binance gives for the first problem found.
    """
    symbol = required_symbol(params, markets)
    side = params.get("side")
    if not side:
        raise mandatory_param("side")
    if side not in _SIDES:
        raise BinanceError(400, -1117, "Invalid side.")
    order_type = params.get("type")
    if not order_type:
        raise mandatory_param("type")
    if order_type not in _SUPPORTED_TYPES:
        if order_type in _BINANCE_TYPES:
            raise BinanceError(400, -1014, "Unsupported order combination.")
        raise BinanceError(400, -1116, "Invalid orderType.")
    client_id = params.get("newClientOrderId") or None
    if client_id is not None and not _CLIENT_ID.match(client_id):
        raise bad_param("newClientOrderId", _CLIENT_ID_RANGE)
    resp_type = params.get("newOrderRespType")
    if resp_type and resp_type not in RESPONSE_TYPES:
        raise bad_param("newOrderRespType", "ACK, RESULT, FULL")
    quantity = _decimal(params, "quantity")
    quote_qty = _decimal(params, "quoteOrderQty")
    price = _decimal(params, "price")
    tif = params.get("timeInForce") or None
    if order_type == "MARKET":
        if price is not None:
            raise _not_required("price")
        if tif is not None:
            raise _not_required("timeInForce")
        if quantity is None and quote_qty is None:
            raise BinanceError(
                400, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were "
                "empty/null!"
            )  # fmt: skip
        if quantity is not None and quote_qty is not None:
            raise _not_required("quoteOrderQty")
        if (quantity if quantity is not None else quote_qty) == 0:
            raise BinanceError(400, -1013, "Invalid quantity.")
        return OrderRequest(
            symbol=symbol,
            side=side,
            type=order_type,
            quantity=quantity,
            quote_order_qty=quote_qty,
            client_order_id=client_id,
        )
    if quote_qty is not None:
        raise _not_required("quoteOrderQty")
    if order_type == "LIMIT":
        if tif is None:
            raise mandatory_param("timeInForce")
        if tif not in _TIME_IN_FORCE:
            raise BinanceError(400, -1115, "Invalid timeInForce.")
    elif tif is not None:
        raise _not_required("timeInForce")
    if quantity is None:
        raise mandatory_param("quantity")
    if price is None:
        raise mandatory_param("price")
    if quantity == 0:
        raise BinanceError(400, -1013, "Invalid quantity.")
    if price == 0:
        raise BinanceError(400, -1013, "Invalid price.")
    return OrderRequest(
        symbol=symbol,
        side=side,
        type=order_type,
        time_in_force=tif or "GTC",
        quantity=quantity,
        price=price,
        client_order_id=client_id,
    )
