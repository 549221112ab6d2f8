"""Fixtures for the connector's integration tests: an in-process simulator, real ccxt over HTTP.

Fixture names start with ``conn_`` (or are the connector itself) so they cannot collide with the
simulator's own tests under ``sim/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from imb_bot.exchange.config import ConnectorConfig
from imb_bot.exchange.connector import ExchangeConnector
from imb_bot.exchange.retry import RetryPolicy
from imb_bot.exchange.sim.testing import SimHandle, running_simulator
from imb_bot.secrets import ExchangeCredentials, StaticSecretsProvider

# Short waits keep the suite fast; three attempts show retries without dragging on.
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.05)

MakeConnector = Callable[..., Awaitable[ExchangeConnector]]


class RecordingSleep:
    """Retry wait that records each delay and yields to the loop without waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture(scope="module")
def conn_sim() -> Iterator[SimHandle]:
    """One simulator per test module (market clock frozen, fixed seed)."""
    with running_simulator(seed=11) as sim:
        yield sim


@pytest.fixture
def fresh_sim(conn_sim: SimHandle) -> SimHandle:
    """The module's simulator reset to initial balances, no orders, faults or limits."""
    conn_sim.reset()
    return conn_sim


@pytest.fixture
def conn_sleep() -> RecordingSleep:
    """The retry wait given to connectors built by ``make_connector``."""
    return RecordingSleep()


@pytest.fixture
async def make_connector(
    fresh_sim: SimHandle, conn_sleep: RecordingSleep
) -> AsyncIterator[MakeConnector]:
    """Factory: ``await make_connector(api_key=…, api_secret=…, credentials=True, **config)``;
    every connector it builds is closed after the test."""
    built: list[ExchangeConnector] = []

    async def make(
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        credentials: bool = True,
        sim: SimHandle | None = None,
        **config: Any,
    ) -> ExchangeConnector:
        target = sim or fresh_sim
        config.setdefault("request_timeout_ms", 3000)
        config.setdefault("enable_client_rate_limit", False)
        config.setdefault("read_retry", FAST_RETRY)
        provider = StaticSecretsProvider(
            ExchangeCredentials(api_key or target.api_key, api_secret or target.api_secret)
            if credentials
            else None
        )
        connector = ExchangeConnector(
            ConnectorConfig(base_url=target.base_url, **config), provider, sleep=conn_sleep
        )
        built.append(connector)
        return connector

    yield make
    for connector in built:
        await connector.close()


@pytest.fixture
async def connector(make_connector: MakeConnector) -> ExchangeConnector:
    """A connector with the simulator account's credentials."""
    return await make_connector()


@pytest.fixture
def conn_faults(fresh_sim: SimHandle) -> Callable[[], list[dict[str, Any]]]:
    """Return the simulator's active fault rules (``remaining`` shows how many fired)."""

    def faults() -> list[dict[str, Any]]:
        response = httpx.get(fresh_sim.base_url + "/__sim__/faults", timeout=5)
        response.raise_for_status()
        rules: list[dict[str, Any]] = response.json()
        return rules

    return faults
