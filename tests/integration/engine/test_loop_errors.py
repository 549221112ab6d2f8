"""A failing iteration is logged, counted and backed off; the loop recovers by itself."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from imb_bot.config import TradingMode, load_settings
from imb_bot.engine.runtime import BotRuntime
from imb_bot.engine.status import BotState
from imb_bot.exchange.sim.testing import SimHandle, running_simulator

from .helpers import bot_environ


@pytest.fixture
def sim() -> Iterator[SimHandle]:
    with running_simulator(seed=31, balance={"BTC": "0", "ETH": "0", "USDT": "10000"}) as handle:
        yield handle


async def _until(condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
    # Polls the bot's status counters (there is no event to wait on); bounded by the timeout.
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


async def test_loop_when_exchange_fails_repeatedly_counts_backs_off_and_recovers(
    sim: SimHandle, tmp_path: Path
) -> None:
    environ = bot_environ(sim, TradingMode.PAPER, tmp_path / "bot.db") | {
        "IMB_ENGINE__POLL_INTERVAL_S": "0.05",
        "IMB_ENGINE__ERROR_BACKOFF_MAX_S": "0.2",
    }
    runtime = BotRuntime.from_settings(load_settings(environ=environ))
    try:
        await runtime.prepare()
        (loop,) = runtime.loops
        await loop.warm_up()
        # More 503s than the connector's read retries: the iteration itself fails.
        sim.add_fault(
            method="GET", path="/api/v3/klines", count=12, action="error", status=503, code=-1001
        )
        await runtime.controller.start()
        await _until(lambda: runtime.status.errors >= 2)
        assert "klines" in (runtime.status.last_error or "") or "ohlcv" in (
            runtime.status.last_error or ""
        )
        assert runtime.status.state is BotState.RUNNING  # the process and the task live on

        sim.clear_faults()
        iterations = runtime.status.iterations
        await _until(lambda: runtime.status.iterations > iterations + 2)
        assert runtime.controller.running
    finally:
        await runtime.shutdown()


async def test_loop_when_acting_on_a_candle_fails_moves_on_to_the_next_candle(
    sim: SimHandle, tmp_path: Path
) -> None:
    environ = bot_environ(sim, TradingMode.PAPER, tmp_path / "bot.db")
    runtime = BotRuntime.from_settings(load_settings(environ=environ))
    try:
        await runtime.prepare()
        (loop,) = runtime.loops
        await loop.warm_up()
        calls = 0

        async def failing_act(*_: object, **__: object) -> None:
            nonlocal calls
            calls += 1
            raise RuntimeError("order path failed")

        loop.act = failing_act  # type: ignore[method-assign]
        processed = loop.candles_processed
        for _ in range(40):  # enough candles for the loose RSI levels to signal
            sim.advance_clock(60)
            try:
                await loop.iterate()
            except RuntimeError:
                continue
        assert calls >= 1, "the strategy never signalled; the test needs a signal"
        assert loop.candles_processed == processed + 40  # each candle once, failures included
    finally:
        await runtime.shutdown()
