"""Raw HTTP details ccxt hides: response shapes, signing layouts, admin routes, the state API."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from imb_bot.exchange.sim.auth import sign
from imb_bot.exchange.sim.testing import SimHandle

MINUTE_MS = 60_000


def _signed(
    sim: SimHandle, method: str, path: str, params: dict[str, Any], *, in_body: bool = False
) -> httpx.Response:
    # sign like ccxt: urlencoded params with timestamp, signature last
    params = {**params, "timestamp": time.time_ns() // 1_000_000, "recvWindow": 60000}
    payload = urlencode(params)
    query = f"{payload}&signature={sign(sim.api_secret, payload)}"
    headers = {"X-MBX-APIKEY": sim.api_key}
    url = sim.base_url + path
    if in_body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return httpx.request(method, url, content=query, headers=headers)
    return httpx.request(method, f"{url}?{query}", headers=headers)


def test_public_endpoints_when_called_answer_binance_shapes(sim: SimHandle) -> None:
    base = sim.base_url + "/api/v3"

    info = httpx.get(base + "/exchangeInfo", params={"symbol": "ETHBTC"}).json()
    price = httpx.get(base + "/ticker/price", params={"symbol": "BTCUSDT"}).json()
    prices = httpx.get(base + "/ticker/price").json()
    book = httpx.get(base + "/ticker/bookTicker", params={"symbol": "BTCUSDT"}).json()
    avg = httpx.get(base + "/avgPrice", params={"symbol": "BTCUSDT"}).json()
    depth = httpx.get(base + "/depth", params={"symbol": "BTCUSDT", "limit": 3}).json()

    assert [s["symbol"] for s in info["symbols"]] == ["ETHBTC"]
    filters = {f["filterType"] for f in info["symbols"][0]["filters"]}
    assert filters == {"PRICE_FILTER", "LOT_SIZE", "MARKET_LOT_SIZE", "NOTIONAL"}
    assert {r["rateLimitType"] for r in info["rateLimits"]} == {"REQUEST_WEIGHT", "ORDERS"}
    assert price["symbol"] == "BTCUSDT" and isinstance(price["price"], str)
    assert len(prices) == 3
    assert float(book["bidPrice"]) < float(price["price"]) < float(book["askPrice"])
    assert avg["price"] == price["price"]
    assert len(depth["bids"]) == 3 and isinstance(depth["lastUpdateId"], int)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"symbol": "BTCUSDT", "interval": "2m"}, -1120),
        ({"symbol": "BTCUSDT"}, -1102),
        ({"symbol": "BTCUSDT", "interval": "1m", "limit": "x"}, -1100),
    ],
)
def test_klines_when_parameters_bad_answers_binance_error(
    sim: SimHandle, params: dict[str, str], code: int
) -> None:
    response = httpx.get(sim.base_url + "/api/v3/klines", params=params)

    assert response.status_code == 400 and response.json()["code"] == code


def test_new_order_when_signed_across_query_and_body_is_accepted(sim: SimHandle) -> None:
    query = urlencode({"symbol": "BTCUSDT", "side": "BUY"})
    body = urlencode(
        {"type": "MARKET", "quantity": "0.001", "timestamp": time.time_ns() // 1_000_000}
    )
    signature = sign(sim.api_secret, query + body)

    response = httpx.post(
        f"{sim.base_url}/api/v3/order?{query}",
        content=f"{body}&signature={signature}",
        headers={
            "X-MBX-APIKEY": sim.api_key,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "FILLED"
    assert response.headers["x-mbx-order-count-10s"] == "1"
    assert response.json()["origQty"] == "0.00100000"


@pytest.mark.parametrize(
    ("resp_type", "keys"),
    [
        ("ACK", {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime"}),
        ("RESULT", {"status", "executedQty", "cummulativeQuoteQty", "workingTime"}),
        ("FULL", {"status", "fills"}),
    ],
)
def test_new_order_when_resp_type_given_answers_that_shape(
    sim: SimHandle, resp_type: str, keys: set[str]
) -> None:
    response = _signed(
        sim,
        "POST",
        "/api/v3/order",
        {
            "symbol": "ETHUSDT",
            "side": "SELL",
            "type": "MARKET",
            "quantity": "0.01",
            "newOrderRespType": resp_type,
        },
        in_body=True,
    )

    data = response.json()
    assert keys <= set(data)
    assert ("fills" in data) == (resp_type == "FULL")
    if resp_type == "ACK":
        assert set(data) == keys


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"side": "BUY", "type": "LIMIT", "quantity": "1", "price": "1"}, -1102),  # no symbol
        ({"symbol": "BTCUSDT", "side": "HOLD", "type": "MARKET", "quantity": "1"}, -1117),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "ICEBERG", "quantity": "1"}, -1116),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "1"}, -1102),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"}, -1102),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1e3"}, -1100),
        ({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.000000001"}, -1111),
        (
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "1",
             "newClientOrderId": "no spaces allowed"},
            -1100,
        ),
    ],
)  # fmt: skip
def test_new_order_when_parameters_bad_answers_binance_code(
    sim: SimHandle, params: dict[str, str], code: int
) -> None:
    response = _signed(sim, "POST", "/api/v3/order", params, in_body=True)

    assert response.status_code == 400
    assert response.json()["code"] == code


def test_cancel_when_open_order_answers_cancel_and_original_client_ids(sim: SimHandle) -> None:
    placed = _signed(
        sim,
        "POST",
        "/api/v3/order",
        {
            "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.001", "price": "10000.00", "newClientOrderId": "orig-1",
        },
        in_body=True,
    ).json()  # fmt: skip

    canceled = _signed(
        sim,
        "DELETE",
        "/api/v3/order",
        {"symbol": "BTCUSDT", "origClientOrderId": "orig-1", "newClientOrderId": "cxl-1"},
    ).json()
    all_orders = _signed(sim, "GET", "/api/v3/allOrders", {"symbol": "BTCUSDT"}).json()
    open_all = _signed(sim, "GET", "/api/v3/openOrders", {}).json()

    assert canceled["orderId"] == placed["orderId"]
    assert (canceled["origClientOrderId"], canceled["clientOrderId"]) == ("orig-1", "cxl-1")
    assert canceled["status"] == "CANCELED"
    assert [o["status"] for o in all_orders] == ["CANCELED"]
    assert open_all == []


def test_state_when_trading_matches_documented_shape(sim: SimHandle) -> None:
    _signed(
        sim,
        "POST",
        "/api/v3/order",
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.002"},
        in_body=True,
    )

    state = sim.state()

    assert set(state) == {"market_time_ms", "wall_time_ms", "speed", "prices", "accounts"}
    account = state["accounts"][sim.api_key]
    assert account["balances"]["BTC"] == {"free": "1.00199800", "locked": "0.00000000"}
    order = account["orders"][0]
    order_keys = {"symbol", "orderId", "clientOrderId", "status", "type", "side", "origQty",
                  "executedQty", "cummulativeQuoteQty", "price", "time", "updateTime"}  # fmt: skip
    trade_keys = {"symbol", "id", "orderId", "price", "qty", "quoteQty", "commission",
                  "commissionAsset", "time", "isBuyer", "isMaker"}  # fmt: skip
    assert order_keys <= set(order)
    assert trade_keys <= set(account["trades"][0])


def test_clock_when_advanced_moves_market_time_and_klines(sim: SimHandle) -> None:
    before = sim.market_time_ms()
    last_open = httpx.get(
        sim.base_url + "/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m", "limit": 1}
    ).json()[0][0]

    sim.advance_clock(180)

    after = sim.market_time_ms()
    candles = httpx.get(
        sim.base_url + "/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m", "limit": 1}
    ).json()
    assert after - before == 180_000
    assert candles[0][0] == last_open + 3 * MINUTE_MS


def test_admin_when_request_malformed_answers_400_with_reason(sim: SimHandle) -> None:
    bad_fault = httpx.post(sim.base_url + "/__sim__/faults", json={"path": "/x", "action": "boom"})
    bad_clock = httpx.post(sim.base_url + "/__sim__/clock", json={"advance_seconds": -5})
    listed = httpx.get(sim.base_url + "/__sim__/faults")

    assert bad_fault.status_code == 400 and "'action'" in bad_fault.json()["error"]
    assert bad_clock.status_code == 400 and "advance_seconds" in bad_clock.json()["error"]
    assert listed.json() == []
