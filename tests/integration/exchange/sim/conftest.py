"""Fixtures for the simulator's HTTP tests: one simulator per module, real ccxt clients.

Every test gets the module's simulator reset (initial balances, no orders, faults or limits).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from imb_bot.exchange.sim.testing import SimHandle, ccxt_client, running_simulator


@pytest.fixture(scope="module")
def sim_module() -> Iterator[SimHandle]:
    """One in-process simulator per test module (clock frozen, seed 5)."""
    with running_simulator(seed=5) as handle:
        yield handle


@pytest.fixture
def sim(sim_module: SimHandle) -> SimHandle:
    """The module's simulator, reset for this test."""
    sim_module.reset()
    return sim_module


@pytest.fixture(scope="module")
def ex_module(sim_module: SimHandle) -> Any:
    """A sync ccxt binance client on the module's simulator, markets loaded once."""
    client = ccxt_client(sim_module)
    client.load_markets()
    return client


@pytest.fixture
def ex(sim: SimHandle, ex_module: Any) -> Any:
    """The module's sync ccxt client, on a freshly reset simulator."""
    return ex_module


@pytest.fixture
async def aex(sim: SimHandle) -> AsyncIterator[Any]:
    """An async ccxt binance client (closed after the test)."""
    client = ccxt_client(sim, async_=True)
    try:
        yield client
    finally:
        await client.close()
