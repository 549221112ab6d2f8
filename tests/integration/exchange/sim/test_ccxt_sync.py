"""The simulator through real ccxt (sync client) over HTTP: market data, account and orders."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal
from typing import Any

import pytest

from imb_bot.exchange.sim.testing import SimHandle

MINUTE_MS = 60_000
D = Decimal


def _last_price(ex: Any, symbol: str = "BTC/USDT") -> float:
    return float(ex.fetch_ticker(symbol)["last"])


def test_load_markets_when_called_builds_three_spot_markets_from_filters(ex: Any) -> None:
    markets = ex.load_markets(reload=True)

    assert {"BTC/USDT", "ETH/USDT", "ETH/BTC"} <= set(markets)
    btc = markets["BTC/USDT"]
    assert btc["spot"] and btc["active"]
    assert btc["precision"]["price"] == 0.01
    assert btc["precision"]["amount"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 5.0
    assert btc["limits"]["market"]["max"] == 100.0


def test_fetch_time_when_called_returns_wall_clock(ex: Any) -> None:
    assert abs(ex.fetch_time() - time.time() * 1000) < 5_000


def test_fetch_ticker_when_symbol_given_is_consistent_with_book(ex: Any) -> None:
    ticker = ex.fetch_ticker("BTC/USDT")

    assert ticker["bid"] < ticker["last"] < ticker["ask"]
    assert ticker["low"] <= ticker["last"] <= ticker["high"]
    assert ticker["baseVolume"] > 0
    assert ticker["info"]["bidQty"]


def test_fetch_tickers_when_all_or_some_returns_those_markets(ex: Any) -> None:
    assert set(ex.fetch_tickers()) == {"BTC/USDT", "ETH/USDT", "ETH/BTC"}
    assert set(ex.fetch_tickers(["BTC/USDT", "ETH/BTC"])) == {"BTC/USDT", "ETH/BTC"}


def test_fetch_ohlcv_when_no_since_returns_500_ending_with_forming_candle(
    ex: Any, sim: SimHandle
) -> None:
    candles = ex.fetch_ohlcv("BTC/USDT", "1m")
    now = sim.market_time_ms()

    assert len(candles) == 500
    assert candles[-1][0] == now - now % MINUTE_MS
    assert all(b[0] - a[0] == MINUTE_MS for a, b in itertools.pairwise(candles))


def test_fetch_ohlcv_when_paging_with_since_past_1000_is_contiguous(
    ex: Any, sim: SimHandle
) -> None:
    now = sim.market_time_ms()
    since = now - now % MINUTE_MS - 2500 * MINUTE_MS
    candles: list[list[float]] = []
    while len(candles) < 2501:
        page = ex.fetch_ohlcv("BTC/USDT", "1m", since=since, limit=1000)
        assert 0 < len(page) <= 1000
        candles += page
        since = int(page[-1][0]) + 1

    opens = [int(c[0]) for c in candles]
    assert opens == list(range(opens[0], opens[0] + 2501 * MINUTE_MS, MINUTE_MS))
    assert len(ex.fetch_ohlcv("BTC/USDT", "1m", since=opens[0], limit=5000)) == 1000


@pytest.mark.parametrize("timeframe", ["1s", "5m", "1h", "1d", "1w", "1M"])
def test_fetch_ohlcv_when_other_timeframe_returns_ordered_candles(ex: Any, timeframe: str) -> None:
    candles = ex.fetch_ohlcv("ETH/USDT", timeframe, limit=3)

    assert 1 <= len(candles) <= 3
    assert [c[0] for c in candles] == sorted(c[0] for c in candles)
    for _, o, h, low, c, v in candles:
        assert low <= min(o, c) <= max(o, c) <= h and v >= 0


def test_fetch_order_book_when_limit_given_returns_that_many_levels(ex: Any) -> None:
    book = ex.fetch_order_book("BTC/USDT", 5)

    assert len(book["bids"]) == len(book["asks"]) == 5
    assert book["bids"][0][0] < book["asks"][0][0]
    assert [b[0] for b in book["bids"]] == sorted((b[0] for b in book["bids"]), reverse=True)


def test_fetch_balance_when_fresh_shows_demo_balances(ex: Any) -> None:
    balance = ex.fetch_balance()

    assert balance["USDT"] == {"free": 10000.0, "used": 0.0, "total": 10000.0}
    assert balance["BTC"]["total"] == 1.0 and balance["ETH"]["total"] == 10.0


def test_create_order_when_market_buy_fills_and_ground_truth_agrees(
    ex: Any, sim: SimHandle
) -> None:
    order = ex.create_order("BTC/USDT", "market", "buy", 0.01)

    assert order["status"] == "closed"
    assert order["filled"] == 0.01
    assert order["fee"] == {"currency": "BTC", "cost": 0.00001}
    state = sim.account_state()
    assert state["balances"]["BTC"]["free"] == "1.00999000"
    assert D(state["balances"]["USDT"]["free"]) == D(10000) - D(str(order["cost"]))
    assert state["orders"][0]["clientOrderId"] == order["clientOrderId"]
    assert state["orders"][0]["clientOrderId"].startswith("x-")
    assert state["trades"][0]["orderId"] == int(order["id"])


def test_create_order_when_market_buy_by_quote_order_qty_spends_that_much(
    ex: Any, sim: SimHandle
) -> None:
    order = ex.create_order("BTC/USDT", "market", "buy", None, params={"quoteOrderQty": 100})

    assert order["status"] == "closed"
    assert 99 < order["cost"] <= 100
    assert sim.account_state()["orders"][0]["origQuoteOrderQty"] == "100.00000000"


def test_create_order_when_market_sell_receives_quote_minus_fee(ex: Any) -> None:
    order = ex.create_order("ETH/USDT", "market", "sell", 1)

    assert order["status"] == "closed"
    assert order["fee"]["currency"] == "USDT"
    assert ex.fetch_balance()["ETH"]["total"] == 9.0


def test_create_order_when_limit_buy_below_market_rests_locks_and_cancels(
    ex: Any, sim: SimHandle
) -> None:
    price = round(_last_price(ex) * 0.95, 2)

    order = ex.create_order(
        "BTC/USDT", "limit", "buy", 0.01, price, params={"clientOrderId": "my-order-1"}
    )

    assert order["status"] == "open" and order["clientOrderId"] == "my-order-1"
    assert ex.fetch_balance()["USDT"]["used"] == pytest.approx(price * 0.01)
    assert ex.fetch_order(order["id"], "BTC/USDT")["status"] == "open"
    by_client = ex.fetch_order(None, "BTC/USDT", params={"clientOrderId": "my-order-1"})
    assert by_client["id"] == order["id"]
    assert [o["id"] for o in ex.fetch_open_orders("BTC/USDT")] == [order["id"]]

    canceled = ex.cancel_order(order["id"], "BTC/USDT")

    assert canceled["status"] == "canceled"
    assert ex.fetch_open_orders("BTC/USDT") == []
    assert ex.fetch_balance()["USDT"]["used"] == 0.0
    assert sim.account_state()["orders"][0]["status"] == "CANCELED"


def test_create_order_when_limit_sell_above_market_fills_once_clock_reaches_it(
    ex: Any, sim: SimHandle
) -> None:
    price = round(_last_price(ex) * 1.001, 2)
    order = ex.create_order("BTC/USDT", "limit", "sell", 0.01, price)
    assert order["status"] == "open"

    for _ in range(200):
        sim.advance_clock(600)
        if ex.fetch_order(order["id"], "BTC/USDT")["status"] == "closed":
            break

    filled = ex.fetch_order(order["id"], "BTC/USDT")
    assert filled["status"] == "closed" and filled["average"] == price
    trades = ex.fetch_my_trades("BTC/USDT")
    assert [(t["order"], t["takerOrMaker"], t["price"]) for t in trades] == [
        (order["id"], "maker", price)
    ]


def test_fetch_my_trades_when_orders_filled_lists_each_fill(ex: Any) -> None:
    buy = ex.create_order("BTC/USDT", "market", "buy", 0.02)
    sell = ex.create_order("BTC/USDT", "market", "sell", 0.01)

    trades = ex.fetch_my_trades("BTC/USDT")

    assert [(t["order"], t["side"]) for t in trades] == [(buy["id"], "buy"), (sell["id"], "sell")]
    assert trades[0]["fee"]["currency"] == "BTC" and trades[1]["fee"]["currency"] == "USDT"


def test_create_order_when_market_sell_exceeds_best_level_walks_the_book(ex: Any) -> None:
    best_bid = ex.fetch_order_book("BTC/USDT", 1)["bids"][0]
    assert best_bid[1] == 0.5

    order = ex.create_order("BTC/USDT", "market", "sell", 0.9)

    assert [t["amount"] for t in order["trades"]] == [0.5, 0.4]
    assert order["trades"][0]["price"] == best_bid[0] > order["trades"][1]["price"]
    assert order["filled"] == 0.9


def test_fetch_orders_and_cancel_all_when_several_open_lists_and_cancels_them(ex: Any) -> None:
    low = round(_last_price(ex) * 0.9, 2)
    placed = [ex.create_order("BTC/USDT", "limit", "buy", 0.001, low - i) for i in range(3)]

    canceled = ex.cancel_all_orders("BTC/USDT")
    history = ex.fetch_orders("BTC/USDT")

    assert sorted(o["id"] for o in canceled) == sorted(o["id"] for o in placed)
    assert [o["status"] for o in history] == ["canceled"] * 3
    assert ex.fetch_balance()["USDT"]["used"] == 0.0
