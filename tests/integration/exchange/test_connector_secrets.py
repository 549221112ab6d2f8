"""Secrets canary: distinctive credentials, success and error paths, and a search for them in every
log record (DEBUG, ccxt's included), every raised error with its chain, and every API answer."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from imb_bot.api.app import create_app
from imb_bot.api.deps import Services
from imb_bot.config import load_settings
from imb_bot.core.models import Order, OrderType, Side
from imb_bot.exchange.config import ConnectorConfig
from imb_bot.exchange.connector import ExchangeConnector, OutcomeUnknown
from imb_bot.exchange.errors import ExchangeError
from imb_bot.exchange.retry import RetryPolicy
from imb_bot.exchange.sim.testing import SimHandle, running_simulator
from imb_bot.secrets import ExchangeCredentials, StaticSecretsProvider

CANARY_KEY = "CanaryKeyQx7Zr2Lm9Vt4Wp8Hs1Nd6Jf3Kb5Yc0Ga"
CANARY_SECRET = "CanarySecretBv8Tn3Xk6Rm1Qz9Lp4Wd7Hf2Js5Gy0Ce"
CANARIES = (CANARY_KEY, CANARY_SECRET)


@pytest.fixture(scope="module")
def canary_sim() -> Iterator[SimHandle]:
    with running_simulator(seed=31, api_key=CANARY_KEY, api_secret=CANARY_SECRET) as sim:
        yield sim


def _connector(sim: SimHandle, *, api_secret: str = CANARY_SECRET) -> ExchangeConnector:
    return ExchangeConnector(
        ConnectorConfig(
            base_url=sim.base_url,
            request_timeout_ms=500,
            enable_client_rate_limit=False,
            read_retry=RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.02),
        ),
        StaticSecretsProvider(ExchangeCredentials(CANARY_KEY, api_secret)),
    )


def _buy(client_order_id: str, quantity: str = "0.001") -> Order:
    return Order(
        client_order_id=client_order_id,
        symbol="BTC/USDT",
        side=Side.BUY,
        type=OrderType.MARKET,
        quantity=Decimal(quantity),
        created_at=datetime.now(UTC),
    )


def _chain_texts(error: BaseException) -> list[str]:
    texts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [str(current), repr(current)]
        current = current.__cause__ or current.__context__
    texts.append("".join(traceback.format_exception(error)))
    return texts


async def test_secrets_when_success_and_error_paths_run_appear_nowhere(
    canary_sim: SimHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="ccxt.base.exchange")
    errors: list[BaseException] = []
    answers: list[str] = []

    async def expect_error(call: object) -> None:
        try:
            await call  # type: ignore[misc]
        except ExchangeError as e:
            errors.append(e)
        else:
            pytest.fail("expected an exchange error")

    connector = _connector(canary_sim)
    wrong = _connector(canary_sim, api_secret="NotTheSecret0000000000000000000000000000")
    settings = load_settings(environ={})
    app = create_app(settings, Services(settings=settings, connector=connector))
    transport = httpx.ASGITransport(app=app)
    try:
        # success paths
        await connector.load_markets()
        await connector.get_balances()
        await connector.get_ohlcv("BTC/USDT", "1m", 5)
        placed = await connector.place_order(_buy("canary-1"))
        await connector.fetch_order("BTC/USDT", client_order_id="canary-1")
        await connector.fetch_my_trades("BTC/USDT")
        assert not isinstance(placed, OutcomeUnknown)
        # error paths
        await expect_error(wrong.get_balances())  # wrong secret → authentication error
        await expect_error(connector.place_order(_buy("canary-2", quantity="0.00001")))
        await expect_error(connector.fetch_order("BTC/USDT", client_order_id="nope"))
        canary_sim.add_fault(method="GET", path="/api/v3/account", count=5, status=503)
        await expect_error(connector.get_balances())
        canary_sim.add_fault(method="GET", path="/api/v3/account", count=1, action="hang")
        await expect_error(connector.get_balances())
        canary_sim.clear_faults()
        canary_sim.add_fault(method="POST", path="/api/v3/order", count=1, action="hang")
        unknown = await connector.place_order(_buy("canary-3"))
        assert isinstance(unknown, OutcomeUnknown)
        errors.append(unknown.error)
        # API answers, success and error
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
            for path in (
                "/market-data?symbol=BTC/USDT&limit=3",
                "/market-data?symbol=NOPE/USDT",
                "/health/exchange",
            ):
                answers.append((await api.get(path)).text)
            canary_sim.add_fault(path="/api/v3/ticker/24hr", count=5, status=503)
            down = await api.get("/market-data?symbol=BTC/USDT&limit=3")
            assert down.status_code == 503
            answers.append(down.text)
    finally:
        canary_sim.clear_faults()
        await connector.close()
        await wrong.close()

    auth_errors = [e for e in errors if type(e).__name__ == "ExchangeAuthError"]
    assert auth_errors, "the wrong secret must give an authentication error"
    assert any("Request" in r.getMessage() for r in caplog.records if r.name.startswith("ccxt"))
    formatter = logging.Formatter()
    haystacks = [formatter.format(r) + repr(r.__dict__) for r in caplog.records]
    haystacks += [text for e in errors for text in _chain_texts(e)]
    haystacks += answers
    for canary in CANARIES:
        leaks = [h[:200] for h in haystacks if canary in h]
        assert leaks == [], f"canary {canary[:10]}… leaked"
