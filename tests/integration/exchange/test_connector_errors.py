"""Every error class through real ccxt over HTTP, provoked with the simulator's fault injection
or its real checks; the simulator's state and fault counters are the ground truth."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import ccxt
import pytest

from imb_bot.core.models import Order, OrderStatus, OrderType, Side
from imb_bot.exchange.connector import ExchangeConnector, OrderUpdate, OutcomeUnknown
from imb_bot.exchange.errors import (
    DuplicateOrderError,
    ExchangeAuthError,
    InsufficientFundsError,
    InvalidRequestError,
    OrderNotFoundError,
    OrderOutcomeUnknownError,
    RateLimitedError,
    TimestampError,
    TransientError,
    UnexpectedExchangeError,
    UnknownSymbolError,
)
from imb_bot.exchange.retry import RetryPolicy
from imb_bot.exchange.sim.testing import SimHandle, running_simulator

MakeConnector = Callable[..., Awaitable[ExchangeConnector]]
Faults = Callable[[], list[dict[str, Any]]]
SYMBOL = "BTC/USDT"
ORDER_PATH = "/api/v3/order"
TICKER_PATH = "/api/v3/ticker/24hr"


def _market_buy(client_order_id: str, quantity: str = "0.001") -> Order:
    return Order(
        client_order_id=client_order_id,
        symbol=SYMBOL,
        side=Side.BUY,
        type=OrderType.MARKET,
        quantity=Decimal(quantity),
        created_at=datetime.now(UTC),
    )


def _limit_buy(client_order_id: str, price: str = "10000") -> Order:
    return Order(
        client_order_id=client_order_id,
        symbol=SYMBOL,
        side=Side.BUY,
        type=OrderType.LIMIT,
        quantity=Decimal("0.001"),
        price=Decimal(price),
        created_at=datetime.now(UTC),
    )


def _orders(sim: SimHandle) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = sim.account_state()["orders"]
    return orders


# --- reads are retried ----------------------------------------------------------------------


async def test_read_when_two_503_then_success_returns_result_after_two_retries(
    connector: ExchangeConnector, fresh_sim: SimHandle, conn_faults: Faults
) -> None:
    await connector.load_markets()
    fresh_sim.add_fault(method="GET", path=TICKER_PATH, count=2, status=503)

    ticker = await connector.get_ticker(SYMBOL)

    assert ticker.bid > 0
    assert connector.stats.retries["get_ticker"] == 2
    assert connector.stats.requests["get_ticker"] == 3
    assert conn_faults() == []  # both injected failures were consumed by real requests


async def test_read_when_failures_outlast_attempts_raises_transient_after_max_attempts(
    connector: ExchangeConnector, fresh_sim: SimHandle, conn_faults: Faults
) -> None:
    await connector.load_markets()
    fresh_sim.add_fault(method="GET", path=TICKER_PATH, count=10, status=503)

    with pytest.raises(TransientError) as info:
        await connector.get_ticker(SYMBOL)

    assert info.value.http_status == 503
    assert info.value.retryable
    assert conn_faults()[0]["remaining"] == 7  # exactly 3 attempts reached the simulator


async def test_read_when_connection_dropped_retries_and_succeeds(
    connector: ExchangeConnector, fresh_sim: SimHandle, conn_faults: Faults
) -> None:
    await connector.load_markets()
    # aiohttp itself re-sends a GET once when a reused keep-alive connection drops; the second
    # drop reaches the connector, whose retry recovers.
    fresh_sim.add_fault(method="GET", path="/api/v3/klines", count=2, action="drop")

    candles = await connector.get_ohlcv(SYMBOL, "1m", 3)

    assert len(candles) == 3
    assert connector.stats.retries["get_ohlcv"] == 1
    assert conn_faults() == []


async def test_read_when_request_stalls_times_out_and_retries(
    make_connector: MakeConnector, fresh_sim: SimHandle
) -> None:
    connector = await make_connector(request_timeout_ms=500)
    await connector.load_markets()
    fresh_sim.add_fault(method="GET", path="/api/v3/depth", count=1, action="hang")

    book = await connector.get_order_book(SYMBOL, 5)

    assert book.bids
    assert connector.stats.retries["get_order_book"] == 1


async def test_read_when_simulator_down_raises_transient(
    make_connector: MakeConnector,
) -> None:
    with running_simulator(seed=3) as doomed:
        connector = await make_connector(sim=doomed)
        await connector.load_markets()

    with pytest.raises(TransientError):
        await connector.get_ticker(SYMBOL)

    assert connector.stats.requests["get_ticker"] == 3


# --- place_order is never retried; ambiguous submissions are outcome-unknown -----------------


async def test_place_order_when_503_returns_outcome_unknown_after_exactly_one_request(
    connector: ExchangeConnector, fresh_sim: SimHandle, conn_faults: Faults
) -> None:
    await connector.load_markets()
    fresh_sim.add_fault(method="POST", path=ORDER_PATH, count=5, status=503)

    result = await connector.place_order(_market_buy("unk-503"))

    assert isinstance(result, OutcomeUnknown)
    assert result.order.status is OrderStatus.UNKNOWN
    assert isinstance(result.error, OrderOutcomeUnknownError)
    assert result.error.client_order_id == "unk-503"
    assert conn_faults()[0]["remaining"] == 4  # one request, no blind retry
    assert connector.stats.requests["place_order"] == 1
    assert _orders(fresh_sim) == []


async def test_place_order_when_executed_then_error_resolves_by_client_id_to_filled(
    connector: ExchangeConnector, fresh_sim: SimHandle
) -> None:
    await connector.load_markets()
    fresh_sim.add_fault(method="POST", path=ORDER_PATH, count=1, action="execute_then_error")

    result = await connector.place_order(_market_buy("unk-exec"))

    assert isinstance(result, OutcomeUnknown)
    assert [o["clientOrderId"] for o in _orders(fresh_sim)] == ["unk-exec"]
    resolved = await connector.fetch_order(SYMBOL, client_order_id="unk-exec")
    assert resolved.order.status is OrderStatus.FILLED
    assert resolved.order.filled_quantity == Decimal("0.001")
    assert resolved.fills
    assert sum(f.quantity for f in resolved.fills) == Decimal("0.001")
    assert {f.client_order_id for f in resolved.fills} == {"unk-exec"}
    sim_trades = fresh_sim.account_state()["trades"]
    assert {str(t["id"]) for t in sim_trades} == {f.trade_id for f in resolved.fills}


async def test_place_order_when_request_stalls_returns_outcome_unknown(
    make_connector: MakeConnector, fresh_sim: SimHandle, conn_faults: Faults
) -> None:
    connector = await make_connector(request_timeout_ms=500)
    await connector.load_markets()
    fresh_sim.add_fault(method="POST", path=ORDER_PATH, count=3, action="hang")

    result = await connector.place_order(_market_buy("unk-hang"))

    assert isinstance(result, OutcomeUnknown)
    assert conn_faults()[0]["remaining"] == 2
    assert connector.stats.requests["place_order"] == 1


async def test_place_order_when_connection_dropped_returns_outcome_unknown(
    connector: ExchangeConnector, fresh_sim: SimHandle, conn_faults: Faults
) -> None:
    await connector.load_markets()
    fresh_sim.add_fault(method="POST", path=ORDER_PATH, count=3, action="drop")

    result = await connector.place_order(_market_buy("unk-drop"))

    assert isinstance(result, OutcomeUnknown)
    assert conn_faults()[0]["remaining"] == 2


async def test_place_order_when_resolved_but_never_arrived_fetch_raises_not_found(
    connector: ExchangeConnector, fresh_sim: SimHandle
) -> None:
    await connector.load_markets()
    fresh_sim.add_fault(method="POST", path=ORDER_PATH, count=1, status=504)

    result = await connector.place_order(_market_buy("unk-lost"))

    assert isinstance(result, OutcomeUnknown)
    with pytest.raises(OrderNotFoundError):
        await connector.fetch_order(SYMBOL, client_order_id="unk-lost")


# --- rate limits ------------------------------------------------------------------------------


async def test_read_when_429_once_retries_and_counts_rate_limit(
    connector: ExchangeConnector, fresh_sim: SimHandle
) -> None:
    await connector.load_markets()
    fresh_sim.add_fault(
        method="GET", path=TICKER_PATH, count=1, status=429, code=-1003, msg="Too many requests."
    )

    await connector.get_ticker(SYMBOL)

    assert connector.stats.retries["get_ticker"] == 1


async def test_read_when_real_weight_limit_hit_raises_rate_limited_with_retry_after(
    make_connector: MakeConnector,
) -> None:
    with running_simulator(seed=5, weight_per_minute=30) as tight:
        connector = await make_connector(
            sim=tight, read_retry=RetryPolicy(max_attempts=3, max_retry_after_s=1.0)
        )
        await connector.load_markets()  # weight 20 of 30

        with pytest.raises(RateLimitedError) as info:
            for _ in range(10):
                await connector.get_order_book(SYMBOL, 100)  # weight 5 each
        await connector.close()

    assert info.value.http_status == 429
    assert info.value.retry_after is not None
    assert info.value.retry_after > 1.0  # longer than the cap: raised without waiting
    assert connector.stats.retries["get_order_book"] == 0


async def test_place_order_when_rate_limited_raises_and_is_not_retried(
    connector: ExchangeConnector, fresh_sim: SimHandle, conn_faults: Faults
) -> None:
    await connector.load_markets()
    fresh_sim.add_fault(
        method="POST", path=ORDER_PATH, count=2, status=429, code=-1015, msg="Too many new orders."
    )

    with pytest.raises(RateLimitedError):
        await connector.place_order(_market_buy("rl-1"))

    assert conn_faults()[0]["remaining"] == 1


# --- authentication ---------------------------------------------------------------------------


async def test_private_call_when_secret_wrong_raises_auth_error(
    make_connector: MakeConnector,
) -> None:
    connector = await make_connector(api_secret="WrongSecret0000000000000000000000000000000000")

    with pytest.raises(ExchangeAuthError) as info:
        await connector.get_balances()

    assert info.value.code == -1022
    assert connector.stats.requests["get_balances"] == 1  # never retried


async def test_private_call_when_key_unknown_raises_auth_error(
    make_connector: MakeConnector,
) -> None:
    connector = await make_connector(api_key="UnknownKey000000000000000000000000000000000000")

    with pytest.raises(ExchangeAuthError) as info:
        await connector.get_balances()

    assert info.value.code == -2015


async def test_private_call_when_2015_after_success_still_auth_error_despite_ccxt_quirk(
    connector: ExchangeConnector, fresh_sim: SimHandle
) -> None:
    await connector.get_balances()  # ccxt now flags hasAlreadyAuthenticatedSuccessfully
    fresh_sim.add_fault(
        method="GET",
        path="/api/v3/account",
        count=5,
        status=401,
        code=-2015,
        msg="Invalid API-key, IP, or permissions for action.",
    )

    with pytest.raises(ExchangeAuthError) as info:
        await connector.get_balances()

    assert isinstance(info.value.__cause__, ccxt.DDoSProtection)  # what ccxt made of it
    assert connector.stats.retries["get_balances"] == 0


async def test_private_call_when_no_credentials_raises_auth_error_without_request(
    make_connector: MakeConnector,
) -> None:
    connector = await make_connector(credentials=False)

    with pytest.raises(ExchangeAuthError, match="IMB_EXCHANGE_API_KEY"):
        await connector.get_balances()

    assert connector.stats.requests["get_balances"] == 0
    assert (await connector.get_ticker(SYMBOL)).bid > 0  # public data still works


# --- timestamps -------------------------------------------------------------------------------


async def test_signed_call_when_timestamp_rejected_once_resyncs_clock_and_retries_once(
    connector: ExchangeConnector, fresh_sim: SimHandle, conn_faults: Faults
) -> None:
    fresh_sim.add_fault(
        method="GET",
        path="/api/v3/account",
        count=1,
        status=400,
        code=-1021,
        msg="Timestamp for this request is outside of the recvWindow.",
    )

    balances = await connector.get_balances()

    assert balances["USDT"].free > 0
    assert connector.stats.clock_resyncs == 1
    assert connector.stats.retries["get_balances"] == 0
    assert conn_faults() == []


async def test_signed_call_when_local_clock_skewed_real_rejection_resyncs_and_succeeds(
    connector: ExchangeConnector,
) -> None:
    await connector.get_balances()
    connector._t.client.options["timeDifference"] = 60_000  # sign 60 s in the past

    balances = await connector.get_balances()

    assert balances["USDT"].free > 0
    assert connector.stats.clock_resyncs == 1


async def test_signed_call_when_timestamp_rejected_persistently_raises_timestamp_error(
    connector: ExchangeConnector, fresh_sim: SimHandle
) -> None:
    fresh_sim.add_fault(method="GET", path="/api/v3/account", count=50, status=400, code=-1021)

    with pytest.raises(TimestampError):
        await connector.get_balances()


async def test_place_order_when_timestamp_rejected_once_resyncs_and_places_exactly_once(
    connector: ExchangeConnector, fresh_sim: SimHandle
) -> None:
    await connector.load_markets()
    fresh_sim.add_fault(method="POST", path=ORDER_PATH, count=1, status=400, code=-1021)

    result = await connector.place_order(_market_buy("ts-1"))

    assert isinstance(result, OrderUpdate)
    assert result.order.status is OrderStatus.FILLED
    assert [o["clientOrderId"] for o in _orders(fresh_sim)] == ["ts-1"]


# --- rejections -------------------------------------------------------------------------------


async def test_place_order_when_below_min_notional_raises_invalid_request(
    connector: ExchangeConnector, fresh_sim: SimHandle
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await connector.place_order(_market_buy("tiny-1", quantity="0.00001"))

    assert info.value.code == -1013
    assert "NOTIONAL" in str(info.value)
    assert isinstance(info.value.__cause__, ccxt.BadRequest)
    assert not isinstance(info.value.__cause__, ccxt.InvalidOrder)
    assert _orders(fresh_sim) == []


async def test_place_order_when_balance_too_small_raises_insufficient_funds(
    connector: ExchangeConnector, fresh_sim: SimHandle
) -> None:
    order = _limit_buy("poor-1", price="50000")
    too_big = Order(**{**_asdict(order), "quantity": Decimal("1.0")})

    with pytest.raises(InsufficientFundsError):
        await connector.place_order(too_big)

    assert fresh_sim.balance("USDT") == (Decimal(10000), Decimal(0))


async def test_place_order_when_client_id_reused_on_open_order_raises_duplicate(
    connector: ExchangeConnector, fresh_sim: SimHandle
) -> None:
    first = await connector.place_order(_limit_buy("dup-1"))
    assert isinstance(first, OrderUpdate)

    with pytest.raises(DuplicateOrderError):
        await connector.place_order(_limit_buy("dup-1"))

    assert len(_orders(fresh_sim)) == 1


async def test_call_when_symbol_unknown_raises_before_any_request(
    connector: ExchangeConnector,
) -> None:
    await connector.load_markets()

    with pytest.raises(UnknownSymbolError, match="unknown symbol NOPE/USDT"):
        await connector.get_ticker("NOPE/USDT")

    assert connector.stats.requests["get_ticker"] == 0


async def test_call_when_exchange_says_invalid_symbol_raises_unknown_symbol(
    connector: ExchangeConnector, fresh_sim: SimHandle
) -> None:
    await connector.load_markets()
    fresh_sim.add_fault(
        method="GET", path=TICKER_PATH, count=1, status=400, code=-1121, msg="Invalid symbol."
    )

    with pytest.raises(UnknownSymbolError) as info:
        await connector.get_ticker(SYMBOL)

    assert info.value.code == -1121
    assert connector.stats.requests["get_ticker"] == 1


async def test_fetch_order_when_client_id_unknown_raises_order_not_found(
    connector: ExchangeConnector,
) -> None:
    with pytest.raises(OrderNotFoundError) as info:
        await connector.fetch_order(SYMBOL, client_order_id="never-sent")

    assert info.value.code == -2013


async def test_cancel_order_when_unknown_raises_order_not_found(
    connector: ExchangeConnector,
) -> None:
    with pytest.raises(OrderNotFoundError) as info:
        await connector.cancel_order(SYMBOL, client_order_id="never-sent")

    assert info.value.code == -2011


async def test_call_when_exchange_returns_unmapped_code_raises_unexpected_not_retried(
    connector: ExchangeConnector, fresh_sim: SimHandle
) -> None:
    await connector.load_markets()
    fresh_sim.add_fault(method="GET", path=TICKER_PATH, count=3, status=400, code=-9999, msg="New")

    with pytest.raises(UnexpectedExchangeError):
        await connector.get_ticker(SYMBOL)

    assert connector.stats.requests["get_ticker"] == 1


async def test_call_when_connector_closed_raises_unexpected_and_health_reports_error(
    connector: ExchangeConnector,
) -> None:
    await connector.close()

    with pytest.raises(UnexpectedExchangeError, match="closed"):
        await connector.get_ticker(SYMBOL)
    report = await connector.health_check()

    assert report["status"] == "error"
    assert report["details"]["error"]


def _asdict(order: Order) -> dict[str, Any]:
    return {name: getattr(order, name) for name in order.__slots__}
