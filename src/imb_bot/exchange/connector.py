"""Async Binance Spot connector over ccxt: typed market data, account and order calls.

Every ccxt error is translated into :mod:`imb_bot.exchange.errors` (by the transport, at the
boundary). Idempotent reads are retried (:mod:`imb_bot.exchange.retry`); ``place_order`` never
is: an ambiguous submission returns :class:`OutcomeUnknown`, to be resolved with
``fetch_order(client_order_id=…)``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from imb_bot.config.settings import Settings
from imb_bot.core.models import (
    Balance,
    Candle,
    Fill,
    MarketRules,
    Order,
    OrderBook,
    OrderStatus,
    Ticker,
)
from imb_bot.exchange.config import ConnectorConfig
from imb_bot.exchange.errors import (
    ExchangeAuthError,
    ExchangeError,
    InvalidRequestError,
    OrderOutcomeUnknownError,
    TransientError,
    UnknownSymbolError,
)
from imb_bot.exchange.klines import fetch_klines
from imb_bot.exchange.markets import spot_rules_from_markets
from imb_bot.exchange.orders import order_request
from imb_bot.exchange.parsing import (
    balances_from_account,
    fills_from_order_response,
    fills_from_trades,
    order_book_from_depth,
    order_from_response,
    ticker_from_24hr,
)
from imb_bot.exchange.results import (
    ConnectorStats,
    HealthDetails,
    HealthReport,
    OrderUpdate,
    OutcomeUnknown,
    PlaceOrderResult,
)
from imb_bot.exchange.retry import Sleep
from imb_bot.exchange.transport import Transport
from imb_bot.secrets import EnvSecretsProvider, SecretsProvider

__all__ = [
    "ConnectorStats",
    "ExchangeConnector",
    "HealthDetails",
    "HealthReport",
    "OrderUpdate",
    "OutcomeUnknown",
    "PlaceOrderResult",
]

log = logging.getLogger(__name__)
_ID_CACHE_SIZE = 10_000


class ExchangeConnector:
    """Binance Spot (Testnet or a Binance-compatible simulator) through ccxt's async client.

    Build with :meth:`from_settings`; ``await close()`` when done (or ``async with``).
    ``sleep`` is the retry wait (inject a fake in tests).
    """

    def __init__(
        self,
        config: ConnectorConfig,
        secrets: SecretsProvider | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        credentials = secrets.get_exchange_credentials() if secrets is not None else None
        self._config = config
        self._t = Transport(config, credentials, sleep=sleep)
        self._rules: dict[str, MarketRules] = {}
        self._markets_loaded_at: float | None = None
        self._markets_lock = asyncio.Lock()
        self._client_ids: OrderedDict[str, str] = OrderedDict()  # exchange order id → ours

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        secrets: SecretsProvider | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> ExchangeConnector:
        """Build a connector for ``settings.exchange_url`` with credentials from ``secrets``
        (default: :class:`EnvSecretsProvider` over ``settings``)."""
        provider = secrets if secrets is not None else EnvSecretsProvider(settings)
        return cls(ConnectorConfig.from_settings(settings), provider, sleep=sleep)

    def __repr__(self) -> str:
        return f"ExchangeConnector(base_url={self._config.base_url!r})"

    async def __aenter__(self) -> ExchangeConnector:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def config(self) -> ConnectorConfig:
        """The configuration this connector was built with."""
        return self._config

    @property
    def stats(self) -> ConnectorStats:
        """Live request/retry/error counters."""
        return self._t.stats

    @property
    def server_time_offset_ms(self) -> int | None:
        """Exchange clock minus local clock at the last sync (None before the first)."""
        return self._t.offset_ms

    async def close(self) -> None:
        """Release the HTTP session; later calls raise UnexpectedExchangeError. Idempotent."""
        await self._t.close()

    def _require_credentials(self, operation: str) -> None:
        if not self._t.has_credentials:
            raise ExchangeAuthError(
                f"{operation} needs exchange credentials; set IMB_EXCHANGE_API_KEY and "
                "IMB_EXCHANGE_API_SECRET",
                operation=operation,
            )

    async def _market_id(self, symbol: str, operation: str) -> str:
        rules = await self.load_markets()
        if symbol not in rules:
            raise UnknownSymbolError(symbol, operation=operation)
        return str(self._t.client.market(symbol)["id"])

    def _remember_client_id(self, order: Order) -> None:
        if order.exchange_order_id and order.client_order_id:
            self._client_ids[order.exchange_order_id] = order.client_order_id
            self._client_ids.move_to_end(order.exchange_order_id)
            while len(self._client_ids) > _ID_CACHE_SIZE:
                self._client_ids.popitem(last=False)

    # --- markets and market data ----------------------------------------------------------

    async def load_markets(self, *, reload: bool = False) -> Mapping[str, MarketRules]:
        """Return ``{symbol: MarketRules}`` of every spot market, loading exchangeInfo when the
        cache is empty, older than ``markets_ttl_s`` or ``reload`` is set.

        A failed periodic refresh keeps serving the previous rules (logged); a failed first load
        raises.
        """
        if not reload and self._markets_fresh():
            return MappingProxyType(self._rules)
        async with self._markets_lock:
            if reload or not self._markets_fresh():
                try:
                    markets = await self._t.read("load_markets", self._t.client.load_markets, True)
                except TransientError as e:
                    if not self._rules or reload:
                        raise
                    log.warning("exchange_markets_refresh_failed", extra={"ctx": {"error": str(e)}})
                    self._markets_loaded_at = time.monotonic()
                else:
                    self._rules = spot_rules_from_markets(markets)
                    self._markets_loaded_at = time.monotonic()
        return MappingProxyType(self._rules)

    def _markets_fresh(self) -> bool:
        loaded_at = self._markets_loaded_at
        return loaded_at is not None and time.monotonic() - loaded_at < self._config.markets_ttl_s

    async def get_market_rules(self, symbol: str) -> MarketRules:
        """Return the filters of ``symbol`` (raises UnknownSymbolError)."""
        rules = await self.load_markets()
        if symbol not in rules:
            raise UnknownSymbolError(symbol, operation="get_market_rules")
        return rules[symbol]

    async def get_ohlcv(
        self,
        symbol: str,
        timeframe: str = "1m",
        limit: int = 500,
        since: datetime | None = None,
        include_forming: bool = False,
    ) -> list[Candle]:
        """Return up to ``limit`` candles, oldest first, paging past the 1000-per-request cap.

        Without ``since``: the latest ``limit`` candles; with it: the first ``limit`` from
        ``since`` on. Only closed candles (open time + interval ≤ exchange server time) unless
        ``include_forming``.
        """
        venue = self._config.venue
        if timeframe not in venue.timeframes:
            raise InvalidRequestError(
                f"timeframe {timeframe!r} is not one of {', '.join(venue.timeframes)}",
                operation="get_ohlcv",
            )
        if limit < 1:
            raise InvalidRequestError(f"limit must be >= 1, got {limit}", operation="get_ohlcv")
        market_id = await self._market_id(symbol, "get_ohlcv")
        await self._t.ensure_time_synced()

        async def page(params: dict[str, Any]) -> list[Any]:
            rows: list[Any] = await self._t.read(
                "get_ohlcv",
                self._t.client.publicGetKlines,
                {"symbol": market_id, **params},
                symbol=symbol,
            )
            return rows

        return await fetch_klines(
            page,
            timeframe=timeframe,
            limit=limit,
            since_ms=_to_ms(since) if since is not None else None,
            server_now_ms=self._t.server_now_ms(),
            include_forming=include_forming,
            max_per_request=venue.max_klines_per_request,
        )

    async def get_ticker(self, symbol: str) -> Ticker:
        """Return the 24 h ticker (best bid/ask, last price) of ``symbol``."""
        await self._market_id(symbol, "get_ticker")
        raw = await self._t.read("get_ticker", self._t.client.fetch_ticker, symbol, symbol=symbol)
        return ticker_from_24hr(symbol, raw["info"])

    async def get_order_book(self, symbol: str, depth: int = 100) -> OrderBook:
        """Return the best ``depth`` (1-5000) levels per side of ``symbol``."""
        depths = self._config.venue.order_book_depths
        if not 1 <= depth <= depths[-1]:
            raise InvalidRequestError(
                f"depth must be within 1..{depths[-1]}, got {depth}", operation="get_order_book"
            )
        market_id = await self._market_id(symbol, "get_order_book")
        request_depth = next(d for d in depths if d >= depth)
        raw = await self._t.read(
            "get_order_book",
            self._t.client.publicGetDepth,
            {"symbol": market_id, "limit": request_depth},
            symbol=symbol,
        )
        book = order_book_from_depth(symbol, raw)
        return replace(book, bids=book.bids[:depth], asks=book.asks[:depth])

    # --- account and orders ---------------------------------------------------------------

    async def get_balances(self, *, include_zero: bool = False) -> dict[str, Balance]:
        """Return ``{asset: Balance}`` of the account (zero balances only if asked)."""
        self._require_credentials("get_balances")
        raw = await self._t.read("get_balances", self._t.client.fetch_balance)
        return balances_from_account(raw["info"], include_zero=include_zero)

    async def place_order(self, order: Order) -> PlaceOrderResult:
        """Submit ``order`` once, with its ``client_order_id`` as ``newClientOrderId``.

        Returns :class:`OrderUpdate` (order as accepted, fills from the FULL answer) or
        :class:`OutcomeUnknown` when the request timed out, lost its connection or hit a 5xx.
        Never retried, except once after a clock re-sync on a ``-1021`` rejection.

        Raises:
            InvalidRequestError, UnknownSymbolError, DuplicateOrderError: rejected, not executed.
            InsufficientFundsError: rejected for lack of balance.
            RateLimitedError: refused by the rate limiter, not executed.
            ExchangeAuthError: credentials missing or rejected.
        """
        operation = "place_order"
        self._require_credentials(operation)
        request = order_request(order)
        await self._market_id(order.symbol, operation)
        try:
            raw = await self._t.call(
                operation,
                self._t.client.create_order,
                *request.args(),
                submission=True,
                client_order_id=order.client_order_id,
                symbol=order.symbol,
            )
        except OrderOutcomeUnknownError as e:
            log.warning(
                "order_outcome_unknown",
                extra={"ctx": {"client_order_id": order.client_order_id, "error": str(e)}},
            )
            unknown = replace(order, status=OrderStatus.UNKNOWN, updated_at=datetime.now(UTC))
            return OutcomeUnknown(order=unknown, error=e)
        info = raw["info"]
        updated = order_from_response(order.symbol, info, base=order)
        self._remember_client_id(updated)
        return OrderUpdate(order=updated, fills=fills_from_order_response(updated, info))

    async def fetch_order(
        self,
        symbol: str,
        *,
        client_order_id: str | None = None,
        exchange_order_id: str | None = None,
        include_fills: bool = True,
    ) -> OrderUpdate:
        """Look an order up by exactly one of its ids; with its fills when it has executed.

        Raises:
            OrderNotFoundError: the exchange does not know the order.
        """
        self._require_credentials("fetch_order")
        if (client_order_id is None) == (exchange_order_id is None):
            raise InvalidRequestError(
                "give exactly one of client_order_id and exchange_order_id",
                operation="fetch_order",
            )
        await self._market_id(symbol, "fetch_order")
        params = {"origClientOrderId": client_order_id} if client_order_id is not None else {}
        raw = await self._t.read(
            "fetch_order",
            self._t.client.fetch_order,
            exchange_order_id,
            symbol,
            params,
            symbol=symbol,
        )
        order = order_from_response(symbol, raw["info"])
        self._remember_client_id(order)
        fills: tuple[Fill, ...] = ()
        if include_fills and order.filled_quantity > 0 and order.exchange_order_id:
            trades = await self._t.read(
                "fetch_my_trades",
                self._t.client.fetch_my_trades,
                symbol,
                None,
                None,
                {"orderId": order.exchange_order_id},
                symbol=symbol,
            )
            fills = tuple(
                fill
                for fill in fills_from_trades(
                    symbol,
                    [t["info"] for t in trades],
                    {order.exchange_order_id: order.client_order_id},
                )
                if fill.exchange_order_id == order.exchange_order_id
            )
        return OrderUpdate(order=order, fills=fills)

    async def cancel_order(
        self,
        symbol: str,
        *,
        client_order_id: str | None = None,
        exchange_order_id: str | None = None,
    ) -> Order:
        """Cancel an open order by exactly one of its ids and return it as canceled.

        Not retried: on a TransientError fetch the order and cancel again if still open.

        Raises:
            OrderNotFoundError: unknown order, or already final.
        """
        self._require_credentials("cancel_order")
        if (client_order_id is None) == (exchange_order_id is None):
            raise InvalidRequestError(
                "give exactly one of client_order_id and exchange_order_id",
                operation="cancel_order",
            )
        await self._market_id(symbol, "cancel_order")
        params = {"origClientOrderId": client_order_id} if client_order_id is not None else {}
        raw = await self._t.call(
            "cancel_order",
            self._t.client.cancel_order,
            exchange_order_id,
            symbol,
            params,
            symbol=symbol,
        )
        return order_from_response(symbol, raw["info"])

    async def fetch_open_orders(self, symbol: str | None = None) -> list[Order]:
        """Return the open orders of ``symbol``, or of every symbol when None (heavier)."""
        self._require_credentials("fetch_open_orders")
        if symbol is not None:
            await self._market_id(symbol, "fetch_open_orders")
        else:
            await self.load_markets()
        raw = await self._t.read(
            "fetch_open_orders", self._t.client.fetch_open_orders, symbol, symbol=symbol
        )
        orders = [order_from_response(str(o["symbol"]), o["info"]) for o in raw]
        for order in orders:
            self._remember_client_id(order)
        return orders

    async def fetch_my_trades(
        self, symbol: str, since: datetime | None = None, limit: int | None = None
    ) -> list[Fill]:
        """Return the account's fills in ``symbol`` (oldest first), from ``since`` if given.

        Client order ids come from orders this connector has seen, else from one allOrders
        lookup; a fill whose order cannot be found has an empty ``client_order_id``.
        """
        self._require_credentials("fetch_my_trades")
        await self._market_id(symbol, "fetch_my_trades")
        since_ms = _to_ms(since) if since is not None else None
        trades = await self._t.read(
            "fetch_my_trades",
            self._t.client.fetch_my_trades,
            symbol,
            since_ms,
            limit,
            symbol=symbol,
        )
        rows = [t["info"] for t in trades]
        if {str(r["orderId"]) for r in rows} - self._client_ids.keys():
            orders = await self._t.read(
                "fetch_orders", self._t.client.fetch_orders, symbol, None, 1000, symbol=symbol
            )
            for o in orders:
                self._remember_client_id(order_from_response(symbol, o["info"]))
        return fills_from_trades(symbol, rows, self._client_ids)

    async def health_check(self) -> HealthReport:
        """Measure round-trip latency and clock offset with GET /api/v3/time. Never raises."""
        started = time.perf_counter()
        try:
            offset = await self._t.sync_time()
        except Exception as e:  # report, never raise: this feeds /health/exchange
            message = str(e) if isinstance(e, ExchangeError) else type(e).__name__
            return {
                "status": "error",
                "details": {
                    "latency_ms": None,
                    "server_time_offset_ms": self._t.offset_ms,
                    "error": self._t.scrub(message),
                },
            }
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        return {
            "status": "ok",
            "details": {"latency_ms": latency_ms, "server_time_offset_ms": offset, "error": None},
        }


def _to_ms(when: datetime) -> int:
    if when.tzinfo is None:
        raise InvalidRequestError(f"datetime {when.isoformat()} must be timezone-aware (UTC)")
    return int(when.timestamp() * 1000)
