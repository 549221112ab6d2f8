"""Rate limits over HTTP: weight header, 429 with Retry-After, then a 418 ban; order limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import ccxt
import httpx
import pytest

from imb_bot.exchange.sim.testing import SimHandle, ccxt_client, running_simulator


@pytest.fixture(scope="module")
def limited() -> Iterator[SimHandle]:
    """A simulator with tiny limits: 40 weight per minute, 3 orders per 10 s, ban after 2."""
    with running_simulator(
        seed=9, weight_per_minute=40, orders_per_10s=3, ban_after_violations=2, ban_seconds=60
    ) as handle:
        yield handle


@pytest.fixture
def fresh_limited(limited: SimHandle) -> SimHandle:
    """The limited simulator, reset, at least 1.5 s away from the next 10 s window edge.

    Windows are fixed (like Binance's), so a test that crossed an edge would see its counters
    restart; waiting a moment keeps the counts exact.
    """
    limited.reset()
    left_ms = 10_000 - time.time_ns() // 1_000_000 % 10_000
    if left_ms < 1_500:
        time.sleep(left_ms / 1000 + 0.05)
    return limited


def test_every_response_when_public_private_or_error_carries_used_weight(
    fresh_limited: SimHandle,
) -> None:
    base = fresh_limited.base_url
    with httpx.Client(base_url=base) as client:
        ping = client.get("/api/v3/ping")
        bad = client.get("/api/v3/ticker/24hr", params={"symbol": "NOPE"})
        missing = client.get("/api/v3/nowhere")
        unsigned = client.get("/api/v3/account", headers={"X-MBX-APIKEY": fresh_limited.api_key})

    assert ping.headers["x-mbx-used-weight-1m"] == "1"
    assert bad.status_code == 400 and bad.headers["x-mbx-used-weight-1m"] == "3"
    assert bad.json() == {"code": -1121, "msg": "Invalid symbol."}
    assert missing.status_code == 404 and missing.json()["code"] == -1000
    assert missing.headers["x-mbx-used-weight-1m"] == "3"
    assert unsigned.status_code == 400 and unsigned.json()["code"] == -1102
    assert unsigned.headers["x-mbx-used-weight-1m"] == "23"


def test_requests_when_weight_exceeded_raise_ddos_protection_then_ban(
    fresh_limited: SimHandle,
) -> None:
    client = ccxt_client(fresh_limited)
    statuses: list[int] = []
    for _ in range(30):
        try:
            client.public_get_ticker_price({"symbol": "BTCUSDT"})  # weight 2
            statuses.append(200)
        except ccxt.DDoSProtection as exc:
            statuses.append(int(str(exc).split()[1]))  # "binance 429 Too Many Requests {…}"
            headers = {k.lower(): v for k, v in client.last_response_headers.items()}
            assert int(headers["retry-after"]) >= 1

    assert statuses[:20] == [200] * 20
    assert statuses[20:22] == [429, 429]
    assert set(statuses[22:]) == {418}


def test_create_order_when_orders_per_10s_exceeded_raises_ddos_protection(
    fresh_limited: SimHandle,
) -> None:
    client = ccxt_client(fresh_limited)
    client.load_markets()
    fresh_limited.reset()  # load_markets used weight 20

    for _ in range(3):
        client.create_order("BTC/USDT", "limit", "buy", 0.001, 20000)
    with pytest.raises(ccxt.DDoSProtection, match="-1015"):
        client.create_order("BTC/USDT", "limit", "buy", 0.001, 20000)

    headers: dict[str, Any] = {k.lower(): v for k, v in client.last_response_headers.items()}
    assert int(headers["retry-after"]) >= 1
