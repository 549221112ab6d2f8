"""``GET /market-data`` and ``GET /health/exchange`` through the real API, a real connector and an
in-process simulator (real ccxt over HTTP)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from imb_bot.api.app import create_app
from imb_bot.api.deps import Services
from imb_bot.config import load_settings
from imb_bot.config.settings import KLINE_INTERVALS
from imb_bot.exchange.config import ConnectorConfig
from imb_bot.exchange.connector import ExchangeConnector
from imb_bot.exchange.retry import RetryPolicy
from imb_bot.exchange.sim.testing import SimHandle, running_simulator
from imb_bot.secrets import ExchangeCredentials, StaticSecretsProvider

PLAIN_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.fixture(scope="module")
def api_sim() -> Iterator[SimHandle]:
    with running_simulator(seed=21) as sim:
        yield sim


def _connector(sim: SimHandle) -> ExchangeConnector:
    return ExchangeConnector(
        ConnectorConfig(
            base_url=sim.base_url,
            request_timeout_ms=2000,
            enable_client_rate_limit=False,
            read_retry=RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02),
        ),
        StaticSecretsProvider(ExchangeCredentials(sim.api_key, sim.api_secret)),
    )


async def _client(connector: ExchangeConnector | None) -> httpx.AsyncClient:
    settings = load_settings(environ={})
    app = create_app(settings, Services(settings=settings, connector=connector))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")


@pytest.fixture
async def api(api_sim: SimHandle) -> AsyncIterator[httpx.AsyncClient]:
    api_sim.reset()
    connector = _connector(api_sim)
    async with await _client(connector) as client:
        yield client
    await connector.close()


async def test_market_data_when_valid_returns_ticker_and_closed_candles(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get(
        "/market-data", params={"symbol": "BTC/USDT", "timeframe": "1m", "limit": 5}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["symbol"], body["timeframe"]) == ("BTC/USDT", "1m")
    assert len(body["candles"]) == 5
    candle = body["candles"][0]
    assert set(candle) == {"time", "open", "high", "low", "close", "volume"}
    for key in ("open", "high", "low", "close", "volume"):
        assert PLAIN_DECIMAL.match(candle[key]), candle[key]
    times = [datetime.fromisoformat(c["time"]) for c in body["candles"]]
    assert times == sorted(times)
    assert all(c["time"].endswith("Z") for c in body["candles"])
    ticker = body["ticker"]
    assert ticker["symbol"] == "BTC/USDT"
    assert Decimal(ticker["bid"]) <= Decimal(ticker["ask"])
    assert PLAIN_DECIMAL.match(ticker["last"])


async def test_market_data_when_symbol_unknown_returns_404_naming_it(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/market-data", params={"symbol": "NOPE/USDT"})

    assert response.status_code == 404
    assert response.json() == {"detail": "unknown symbol NOPE/USDT"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"symbol": "BTC/USDT", "limit": -1}, "limit"),
        ({"symbol": "BTC/USDT", "limit": 0}, "limit"),
        ({"symbol": "BTC/USDT", "limit": 1001}, "limit"),
        ({"symbol": "BTC/USDT", "timeframe": "7m"}, "timeframe"),
        ({"symbol": "BTCUSDT"}, "symbol"),
        ({}, "symbol"),
    ],
)
async def test_market_data_when_parameter_invalid_returns_422_naming_it(
    api: httpx.AsyncClient, params: dict[str, object], field: str
) -> None:
    response = await api.get("/market-data", params=params)  # type: ignore[arg-type]

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(error["loc"] == ["query", field] and error["msg"] for error in errors)


async def test_market_data_when_simulator_stopped_returns_503_json(
    api: httpx.AsyncClient,
) -> None:
    with running_simulator(seed=22) as doomed:
        connector = _connector(doomed)
        await connector.load_markets()
    async with await _client(connector) as client:
        response = await client.get("/market-data", params={"symbol": "BTC/USDT", "limit": 5})
        health = await client.get("/health/exchange")
    await connector.close()

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/json"
    assert response.json()["detail"].startswith("exchange unavailable: ")
    assert health.status_code == 200
    assert health.json()["status"] == "error"
    assert health.json()["details"]["error"]


async def test_market_data_when_exchange_rate_limits_returns_503(
    api: httpx.AsyncClient, api_sim: SimHandle
) -> None:
    await api.get("/market-data", params={"symbol": "BTC/USDT", "limit": 1})  # load markets
    api_sim.add_fault(path="/api/v3/ticker/24hr", count=5, status=429, code=-1003, msg="Too many")

    response = await api.get("/market-data", params={"symbol": "BTC/USDT", "limit": 1})

    assert response.status_code == 503
    assert "Too many" in response.json()["detail"]


async def test_health_exchange_when_reachable_returns_ok_details(api: httpx.AsyncClient) -> None:
    response = await api.get("/health/exchange")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["details"]) == {"latency_ms", "server_time_offset_ms", "error"}
    assert body["details"]["error"] is None


@pytest.mark.parametrize("path", ["/market-data?symbol=BTC/USDT", "/health/exchange"])
async def test_endpoint_when_no_connector_configured_returns_503_message(path: str) -> None:
    async with await _client(None) as client:
        response = await client.get(path)

    assert response.status_code == 503
    assert response.json() == {"detail": "no exchange connector is configured in this process"}


async def test_openapi_when_read_documents_operations_and_string_decimals(
    api: httpx.AsyncClient,
) -> None:
    schema = (await api.get("/openapi.json")).json()

    operation = schema["paths"]["/market-data"]["get"]
    assert operation["operationId"] == "getMarketData"
    assert {"404", "422", "503"} <= set(operation["responses"])
    assert schema["paths"]["/health/exchange"]["get"]["operationId"] == "getExchangeHealth"
    candle = schema["components"]["schemas"]["CandlePublic"]["properties"]
    assert candle["close"]["type"] == "string"
    assert candle["time"]["format"] == "date-time"
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["timeframe"]["schema"]["enum"] == list(KLINE_INTERVALS)
    assert (params["limit"]["schema"]["minimum"], params["limit"]["schema"]["maximum"]) == (1, 1000)


async def test_market_data_when_market_clock_runs_ahead_serves_the_newest_closed_candles() -> None:
    # An accelerated simulator (the demo) runs its market clock ahead of the wall clock that
    # /api/v3/time reports; "closed" must follow the market time (the ticker's close time).
    with running_simulator(seed=22) as sim:
        sim.advance_clock(600)
        connector = _connector(sim)
        try:
            async with await _client(connector) as client:
                response = await client.get(
                    "/market-data", params={"symbol": "BTC/USDT", "timeframe": "1m", "limit": 3}
                )
        finally:
            await connector.close()
    assert response.status_code == 200
    body = response.json()
    assert len(body["candles"]) == 3
    market_now = datetime.fromisoformat(body["ticker"]["time"])
    newest = datetime.fromisoformat(body["candles"][-1]["time"])
    assert newest + timedelta(minutes=1) <= market_now < newest + timedelta(minutes=2)
