"""The connector contract: every method through real ccxt over HTTP, on the simulator and — opt in,
marker ``testnet`` — on the real Binance Spot Testnet with the very same test bodies.

Testnet run: ``IMB_TESTNET_API_KEY=… IMB_TESTNET_API_SECRET=… pytest -m testnet tests/integration``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from itertools import pairwise

import pytest

from imb_bot.core.models import MarketRules, Order, OrderStatus, OrderType, Side
from imb_bot.exchange.config import ConnectorConfig
from imb_bot.exchange.connector import ExchangeConnector, OrderUpdate
from imb_bot.exchange.retry import RetryPolicy
from imb_bot.secrets import ExchangeCredentials, StaticSecretsProvider

MakeConnector = Callable[..., Awaitable[ExchangeConnector]]
SYMBOL = "BTC/USDT"
MINUTE = timedelta(minutes=1)


async def _testnet_connector() -> ExchangeConnector:
    key = os.environ.get("IMB_TESTNET_API_KEY", "")
    secret = os.environ.get("IMB_TESTNET_API_SECRET", "")
    if not key or not secret:
        pytest.skip("Binance Spot Testnet: set IMB_TESTNET_API_KEY and IMB_TESTNET_API_SECRET")
    connector = ExchangeConnector(
        ConnectorConfig(read_retry=RetryPolicy(max_attempts=3)),
        StaticSecretsProvider(ExchangeCredentials(key, secret)),
    )
    health = await connector.health_check()
    if health["status"] != "ok":
        await connector.close()
        pytest.skip(f"Binance Spot Testnet unreachable: {health['details']['error']}")
    return connector


@pytest.fixture(params=["simulator", pytest.param("testnet", marks=pytest.mark.testnet)])
async def venue(
    request: pytest.FixtureRequest, make_connector: MakeConnector
) -> AsyncIterator[ExchangeConnector]:
    """A connector on the simulator, or on the real Spot Testnet (skipped without access)."""
    if request.param == "testnet":
        connector = await _testnet_connector()
        try:
            yield connector
        finally:
            await connector.close()
    else:
        yield await make_connector()


def _client_id() -> str:
    return f"imbt-{uuid.uuid4().hex[:24]}"


def _server_now(connector: ExchangeConnector) -> datetime:
    offset = connector.server_time_offset_ms or 0
    return datetime.now(UTC) + timedelta(milliseconds=offset)


def _limit_buy_far_below(rules: MarketRules, bid: Decimal) -> Order:
    # A resting buy at ~80 % of the bid (inside Binance's PERCENT_PRICE_BY_SIDE band), worth
    # twice the minimum notional.
    price = (bid * Decimal("0.8") / rules.tick_size).to_integral_value(ROUND_DOWN) * rules.tick_size
    notional = max(rules.min_notional * 2, Decimal(10))
    steps = (notional / price / rules.step_size).to_integral_value(ROUND_CEILING)
    quantity = max(steps * rules.step_size, rules.min_quantity)
    return Order(
        client_order_id=_client_id(),
        symbol=SYMBOL,
        side=Side.BUY,
        type=OrderType.LIMIT,
        quantity=quantity,
        price=price,
        created_at=datetime.now(UTC),
    )


def _market_buy_quote(quote: Decimal) -> Order:
    return Order(
        client_order_id=_client_id(),
        symbol=SYMBOL,
        side=Side.BUY,
        type=OrderType.MARKET,
        quantity=Decimal(0),
        quote_quantity=quote,
        created_at=datetime.now(UTC),
    )


async def test_load_markets_when_connected_returns_spot_rules_from_filters(
    venue: ExchangeConnector,
) -> None:
    rules = await venue.load_markets()

    btc = rules[SYMBOL]
    assert (btc.base_asset, btc.quote_asset) == ("BTC", "USDT")
    assert btc.tick_size > 0
    assert btc.step_size > 0
    assert btc.min_quantity <= btc.max_quantity
    assert btc.min_notional >= 0
    assert await venue.get_market_rules(SYMBOL) == btc


async def test_get_ohlcv_when_small_limit_returns_closed_candles_oldest_first(
    venue: ExchangeConnector,
) -> None:
    candles = await venue.get_ohlcv(SYMBOL, "1m", 5)

    assert len(candles) == 5
    assert [b.time - a.time for a, b in pairwise(candles)] == [MINUTE] * 4
    assert candles[-1].time + MINUTE <= _server_now(venue)
    assert all(c.time.tzinfo is UTC for c in candles)
    assert all(c.low <= c.open <= c.high and c.low <= c.close <= c.high for c in candles)
    assert all(isinstance(c.volume, Decimal) for c in candles)


async def test_get_ohlcv_when_limit_above_request_cap_pages_to_full_count(
    venue: ExchangeConnector,
) -> None:
    candles = await venue.get_ohlcv(SYMBOL, "1m", 1200)

    assert len(candles) == 1200
    assert all(a.time < b.time for a, b in pairwise(candles))
    assert venue.stats.requests["get_ohlcv"] >= 2
    latest = await venue.get_ohlcv(SYMBOL, "1m", 1)
    assert candles[-1] == latest[-1]


async def test_get_ohlcv_when_since_given_returns_candles_from_there(
    venue: ExchangeConnector,
) -> None:
    recent = await venue.get_ohlcv(SYMBOL, "1m", 30)
    since = recent[5].time

    candles = await venue.get_ohlcv(SYMBOL, "1m", 10, since=since)

    assert [c.time for c in candles] == [r.time for r in recent[5:15]]


async def test_get_ticker_when_connected_returns_bid_below_ask(venue: ExchangeConnector) -> None:
    ticker = await venue.get_ticker(SYMBOL)

    assert ticker.symbol == SYMBOL
    assert 0 < ticker.bid <= ticker.ask
    assert ticker.last > 0
    assert ticker.time.tzinfo is UTC


async def test_get_order_book_when_depth_5_returns_sorted_levels(venue: ExchangeConnector) -> None:
    book = await venue.get_order_book(SYMBOL, 5)

    assert 0 < len(book.bids) <= 5
    assert 0 < len(book.asks) <= 5
    assert [p for p, _ in book.bids] == sorted((p for p, _ in book.bids), reverse=True)
    assert [p for p, _ in book.asks] == sorted(p for p, _ in book.asks)
    assert book.bids[0][0] < book.asks[0][0]


async def test_get_balances_when_authenticated_returns_quote_balance(
    venue: ExchangeConnector,
) -> None:
    balances = await venue.get_balances()

    assert balances["USDT"].free > 0
    assert all(b.total > 0 for b in balances.values())


async def test_limit_order_when_placed_queried_and_canceled_follows_lifecycle(
    venue: ExchangeConnector,
) -> None:
    rules = await venue.get_market_rules(SYMBOL)
    order = _limit_buy_far_below(rules, (await venue.get_ticker(SYMBOL)).bid)

    placed = await venue.place_order(order)

    assert isinstance(placed, OrderUpdate)
    assert placed.order.status is OrderStatus.OPEN
    assert placed.order.client_order_id == order.client_order_id
    assert placed.fills == ()
    exchange_id = placed.order.exchange_order_id
    assert exchange_id is not None
    open_ids = [o.client_order_id for o in await venue.fetch_open_orders(SYMBOL)]
    assert order.client_order_id in open_ids
    by_client = await venue.fetch_order(SYMBOL, client_order_id=order.client_order_id)
    by_exchange = await venue.fetch_order(SYMBOL, exchange_order_id=exchange_id)
    assert by_client.order.status is by_exchange.order.status is OrderStatus.OPEN
    assert by_exchange.order.client_order_id == order.client_order_id
    assert by_client.order.price == order.price

    canceled = await venue.cancel_order(SYMBOL, client_order_id=order.client_order_id)

    assert canceled.status is OrderStatus.CANCELED
    assert canceled.client_order_id == order.client_order_id
    after = await venue.fetch_order(SYMBOL, exchange_order_id=exchange_id)
    assert after.order.status is OrderStatus.CANCELED
    open_ids = [o.client_order_id for o in await venue.fetch_open_orders(SYMBOL)]
    assert order.client_order_id not in open_ids


async def test_market_order_when_sized_in_quote_fills_with_fills_from_full_response(
    venue: ExchangeConnector,
) -> None:
    order = _market_buy_quote(Decimal(20))

    placed = await venue.place_order(order)

    assert isinstance(placed, OrderUpdate)
    assert placed.order.status is OrderStatus.FILLED
    assert placed.fills
    assert sum(f.quantity for f in placed.fills) == placed.order.filled_quantity
    spent = sum(f.quote_quantity for f in placed.fills)
    assert Decimal(19) <= spent <= Decimal(20)
    assert {f.client_order_id for f in placed.fills} == {order.client_order_id}

    fetched = await venue.fetch_order(SYMBOL, client_order_id=order.client_order_id)

    assert fetched.order.status is OrderStatus.FILLED
    assert {f.trade_id for f in fetched.fills} == {f.trade_id for f in placed.fills}
    since = placed.order.created_at - timedelta(minutes=1)
    trades = await venue.fetch_my_trades(SYMBOL, since=since)
    mine = [t for t in trades if t.exchange_order_id == placed.order.exchange_order_id]
    assert {t.trade_id for t in mine} == {f.trade_id for f in placed.fills}
    assert {t.client_order_id for t in mine} == {order.client_order_id}


async def test_health_check_when_reachable_reports_ok_latency_and_offset(
    venue: ExchangeConnector,
) -> None:
    report = await venue.health_check()

    assert report["status"] == "ok"
    assert report["details"]["error"] is None
    latency = report["details"]["latency_ms"]
    assert latency is not None
    assert latency >= 0
    assert isinstance(report["details"]["server_time_offset_ms"], int)


async def test_fetch_my_trades_when_connector_is_new_resolves_client_ids_from_exchange(
    venue: ExchangeConnector, make_connector: MakeConnector
) -> None:
    order = _market_buy_quote(Decimal(15))
    placed = await venue.place_order(order)
    assert isinstance(placed, OrderUpdate)
    if venue.config.is_binance_testnet:
        other = await _testnet_connector()
    else:
        other = await make_connector()

    try:
        fills = await other.fetch_my_trades(SYMBOL)
    finally:
        await other.close()

    mine = [f for f in fills if f.exchange_order_id == placed.order.exchange_order_id]
    assert mine
    assert {f.client_order_id for f in mine} == {order.client_order_id}
