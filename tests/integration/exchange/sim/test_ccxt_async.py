"""The simulator through real async ccxt (aiohttp) over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import ccxt
import pytest

from imb_bot.exchange.sim.testing import SimHandle, ccxt_client

MINUTE_MS = 60_000


async def test_async_client_when_trading_round_trip_sees_consistent_state(
    aex: Any, sim: SimHandle
) -> None:
    await aex.load_markets()
    assert abs(await aex.fetch_time() - sim.state()["wall_time_ms"]) < 5_000
    ticker = await aex.fetch_ticker("ETH/BTC")
    assert ticker["bid"] < ticker["ask"]
    book = await aex.fetch_order_book("ETH/BTC", 10)
    assert len(book["asks"]) == 10

    bought = await aex.create_order("ETH/BTC", "market", "buy", 0.5)
    resting = await aex.create_order(
        "ETH/USDT",
        "limit",
        "sell",
        1,
        round(ticker["last"] * 1e6, 2),
        params={"clientOrderId": "a1"},
    )
    fetched = await aex.fetch_order(None, "ETH/USDT", params={"clientOrderId": "a1"})
    open_orders = await aex.fetch_open_orders("ETH/USDT")
    canceled = await aex.cancel_order(resting["id"], "ETH/USDT")
    trades = await aex.fetch_my_trades("ETH/BTC")
    balance = await aex.fetch_balance()

    assert bought["status"] == "closed" and bought["fee"]["currency"] == "ETH"
    assert fetched["id"] == resting["id"] and [o["id"] for o in open_orders] == [resting["id"]]
    assert canceled["status"] == "canceled"
    assert [t["order"] for t in trades] == [bought["id"]]
    assert balance["ETH"]["total"] == pytest.approx(10 + 0.5 - 0.0005)
    assert balance["ETH"]["used"] == 0


async def test_async_fetch_ohlcv_when_paging_by_since_covers_1500_candles(
    aex: Any, sim: SimHandle
) -> None:
    now = sim.market_time_ms()
    since = now - now % MINUTE_MS - 1499 * MINUTE_MS
    first = await aex.fetch_ohlcv("BTC/USDT", "1m", since=since, limit=1000)
    second = await aex.fetch_ohlcv("BTC/USDT", "1m", since=first[-1][0] + 1, limit=1000)

    assert len(first) == 1000 and len(second) == 500
    assert second[0][0] - first[-1][0] == MINUTE_MS
    assert second[-1][0] == now - now % MINUTE_MS


async def test_async_errors_when_rejected_map_to_ccxt_exceptions(aex: Any) -> None:
    await aex.load_markets()

    with pytest.raises(ccxt.InsufficientFunds):
        await aex.create_order("BTC/USDT", "market", "buy", 0.5)
    with pytest.raises(ccxt.OrderNotFound):
        await aex.fetch_order("4242", "BTC/USDT")
    with pytest.raises(ccxt.BadRequest, match="NOTIONAL"):
        await aex.create_order("ETH/USDT", "limit", "buy", 0.001, 100)


async def test_hang_fault_when_one_request_hangs_others_are_still_served(sim: SimHandle) -> None:
    slow = ccxt_client(sim, async_=True, timeout=3000)
    fast = ccxt_client(sim, async_=True)
    try:
        sim.add_fault(method="GET", path="/api/v3/account", action="hang")
        hung = asyncio.create_task(slow.fetch_balance())
        await asyncio.sleep(0.1)

        served = [await fast.fetch_time() for _ in range(3)]

        assert not hung.done()
        assert all(t > 0 for t in served)
        with pytest.raises(ccxt.RequestTimeout):
            await hung
    finally:
        await slow.close()
        await fast.close()
