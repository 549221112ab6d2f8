"""The ASGI application: routing, faults, rate limits, HMAC auth and JSON answers.

A plain ASGI callable (no framework) keeps the per-request cost to a few tens of microseconds.
Order of checks per ``/api/v3`` request: fault rules → REQUEST_WEIGHT → auth → ORDERS limit →
handler. Every answer is JSON and carries ``X-MBX-USED-WEIGHT-1M``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from imb_bot.exchange.sim.admin_api import AdminApi
from imb_bot.exchange.sim.auth import check_timestamp, signed_payload, verify_signature
from imb_bot.exchange.sim.errors import BinanceError
from imb_bot.exchange.sim.ledger import Account
from imb_bot.exchange.sim.market_api import MarketApi
from imb_bot.exchange.sim.params import Params, parse_query
from imb_bot.exchange.sim.trading_api import TradingApi
from imb_bot.exchange.sim.venue import SimExchange

__all__ = ["TRANSPORT_SCOPE_KEY", "SimApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

TRANSPORT_SCOPE_KEY = "imb_sim.transport"  # set by server.SimHttpProtocol, used by "drop"
HANG_LIMIT_S = 600.0
_JSON = (b"content-type", b"application/json;charset=UTF-8")
log = logging.getLogger("imb_bot.exchange.sim")


@dataclass(frozen=True, slots=True)
class _Route:
    public: Callable[[Params], str | bytes] | None
    signed: Callable[[Params, Account], str] | None
    weight: int | Callable[[Params], int]
    new_order: bool = False


def _error_body(code: int, msg: str) -> bytes:
    return json.dumps({"code": code, "msg": msg}, separators=(",", ":")).encode()


class SimApp:
    """ASGI callable serving one :class:`SimExchange`."""

    def __init__(self, exchange: SimExchange) -> None:
        self.ex = exchange
        self.admin = AdminApi(exchange)
        m = MarketApi(exchange)
        t = TradingApi(exchange)
        get = "GET"
        self._routes: dict[tuple[str, str], _Route] = {
            (get, "/api/v3/ping"): _Route(m.ping, None, 1),
            (get, "/api/v3/time"): _Route(m.time, None, 1),
            (get, "/api/v3/exchangeInfo"): _Route(m.exchange_info, None, 20),
            (get, "/api/v3/ticker/24hr"): _Route(m.ticker_24h, None, m.ticker_weight),
            (get, "/api/v3/ticker/price"): _Route(m.ticker_price, None, m.price_weight),
            (get, "/api/v3/ticker/bookTicker"): _Route(m.book_ticker, None, m.price_weight),
            (get, "/api/v3/avgPrice"): _Route(m.avg_price, None, 2),
            (get, "/api/v3/klines"): _Route(m.klines, None, 2),
            (get, "/api/v3/uiKlines"): _Route(m.klines, None, 2),
            (get, "/api/v3/depth"): _Route(m.depth, None, m.depth_weight),
            (get, "/api/v3/account"): _Route(None, t.account, 20),
            ("POST", "/api/v3/order"): _Route(None, t.new_order, 1, new_order=True),
            (get, "/api/v3/order"): _Route(None, t.query_order, 4),
            ("DELETE", "/api/v3/order"): _Route(None, t.cancel_order, 1),
            (get, "/api/v3/openOrders"): _Route(
                None, t.open_orders, lambda p: 6 if p.get("symbol") else 80
            ),
            ("DELETE", "/api/v3/openOrders"): _Route(None, t.cancel_open_orders, 1),
            (get, "/api/v3/allOrders"): _Route(None, t.all_orders, 20),
            (get, "/api/v3/myTrades"): _Route(None, t.my_trades, 20),
        }
        self._paths = {path for _, path in self._routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if path.startswith("/__sim__/"):
            try:
                status, data = self.admin.handle(method, path, body)
            except Exception as exc:
                log.exception("simulator bug while answering %s %s", method, path)
                status, data = 500, {"error": f"internal error: {exc}"}
            payload = json.dumps(data, separators=(",", ":")).encode()
            await _send(send, status, payload, self._weight_headers(scope))
            return
        fault = self.ex.faults.pick(method, path) if self.ex.faults.rules else None
        if fault is not None:
            if fault.delay_ms:
                await asyncio.sleep(fault.delay_ms / 1000)
            if fault.action == "error":
                await _send(send, fault.status, fault.body(), self._weight_headers(scope))
                return
            if fault.action == "hang":
                await _wait_disconnect(receive, HANG_LIMIT_S)
                return
            if fault.action == "drop":
                await _drop(scope, receive, send)
                return
        status, payload, headers = self._api(scope, method, path, body)
        if fault is not None and fault.action == "execute_then_error":
            status, payload = fault.status, fault.body()
        await _send(send, status, payload, headers)

    def _weight_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        used = str(self.ex.limiter.used_weight(_client_ip(scope), self.ex.clock.wall_ms()))
        return [(b"x-mbx-used-weight", used.encode()), (b"x-mbx-used-weight-1m", used.encode())]

    def _api(
        self, scope: Scope, method: str, path: str, body: bytes
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        # synchronous part of a request: everything after faults, before sending
        route = self._routes.get((method, path))
        if route is None:
            if path in self._paths:
                not_allowed = _error_body(-1000, f"Method {method} not allowed.")
                return 405, not_allowed, self._weight_headers(scope)
            return 404, _error_body(-1000, f"Unknown endpoint {path}."), self._weight_headers(scope)
        query: bytes = scope["query_string"]
        params = parse_query(query, parse_query(body)) if body else parse_query(query)
        ip = _client_ip(scope)
        wall = self.ex.clock.wall_ms()
        weight = route.weight if isinstance(route.weight, int) else route.weight(params)
        rejection = self.ex.limiter.add_weight(ip, weight, wall)
        used = str(self.ex.limiter.used_weight(ip, wall)).encode()
        headers = [(b"x-mbx-used-weight", used), (b"x-mbx-used-weight-1m", used)]
        if rejection is not None:
            headers.append((b"retry-after", str(rejection.retry_after_s).encode()))
            error = rejection.error
            return error.status, _error_body(error.code, error.msg), headers
        try:
            if route.public is not None:
                answer = route.public(params)
                return 200, answer if isinstance(answer, bytes) else answer.encode(), headers
            assert route.signed is not None
            account = self._authenticate(scope, query, body, params, wall)
            if route.new_order:
                rejection = self.ex.limiter.add_order(account.api_key, wall)
                if rejection is not None:
                    headers.append((b"retry-after", str(rejection.retry_after_s).encode()))
                    raise rejection.error
                count = self.ex.limiter.order_count_10s(account.api_key, wall)
                headers.append((b"x-mbx-order-count-10s", str(count).encode()))
            return 200, route.signed(params, account).encode(), headers
        except BinanceError as exc:
            return exc.status, _error_body(exc.code, exc.msg), headers
        except Exception:
            log.exception("simulator bug while answering %s %s", method, path)
            return 500, _error_body(-1000, "An unknown error occurred while processing."), headers

    def _authenticate(
        self, scope: Scope, query: bytes, body: bytes, params: Params, wall: int
    ) -> Account:
        api_key = None
        for name, value in scope["headers"]:
            if name == b"x-mbx-apikey":
                api_key = value.decode("latin-1")
                break
        if (
            not api_key
            or len(api_key) > 128
            or not api_key.replace("-", "").replace("_", "").isalnum()
        ):
            raise BinanceError(401, -2014, "API-key format invalid.")
        account = self.ex.account(api_key)
        if account is None:
            raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
        if "timestamp" not in params:
            raise BinanceError(
                400,
                -1102,
                "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
            )
        verify_signature(account.secret, signed_payload(query, body), params.get("signature"))
        check_timestamp(params.get("timestamp"), params.get("recvWindow"), wall)
        return account


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers.append(_JSON)
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _wait_disconnect(receive: Receive, limit_s: float) -> None:
    # never answer: wait until the client gives up (or the safety limit)
    async def until_gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(until_gone(), timeout=limit_s)


async def _drop(scope: Scope, receive: Receive, send: Send) -> None:
    # close the TCP connection without writing a byte of response
    transport = scope.get(TRANSPORT_SCOPE_KEY)
    if transport is not None:
        transport.close()
        await _wait_disconnect(receive, 5.0)
        return
    # other servers: start a response that never completes, then fail so the server closes
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]}
    )
    raise ConnectionAbortedError("fault injection: drop")
