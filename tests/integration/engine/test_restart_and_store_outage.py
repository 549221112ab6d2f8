"""PAPER state survives a restart; a store outage stops new positions and shows in the status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from imb_bot.config import TradingMode, load_settings
from imb_bot.core.risk import TradingState
from imb_bot.db.errors import StoreUnavailable
from imb_bot.engine.runtime import BotRuntime
from imb_bot.exchange.sim.testing import SimHandle, running_simulator

from .helpers import bot_environ, run_candles


@pytest.fixture
def sim() -> Iterator[SimHandle]:
    with running_simulator(seed=23, balance={"BTC": "0", "ETH": "0", "USDT": "10000"}) as handle:
        yield handle


async def test_paper_runtime_when_restarted_continues_with_the_same_cash_and_positions(
    sim: SimHandle, tmp_path: Path
) -> None:
    environ = bot_environ(sim, TradingMode.PAPER, tmp_path / "paper.db")
    first = BotRuntime.from_settings(load_settings(environ=environ))
    try:
        await first.prepare()
        await run_candles(sim, first, 150)
        assert first.account is not None
        cash = first.account.portfolio.balance("USDT")
        position = first.account.portfolio.position("BTC/USDT")
        assert first.status.orders_submitted > 0
    finally:
        await first.shutdown()

    second = BotRuntime.from_settings(load_settings(environ=environ))
    try:
        await second.prepare()
        assert second.account is not None
        restored = second.account.portfolio
        assert restored.balance("USDT") == cash
        assert restored.position("BTC/USDT").quantity == position.quantity
        assert restored.position("BTC/USDT").cost_basis_quote == position.cost_basis_quote
        assert second.run_id is not None and second.run_id != first.run_id
    finally:
        await second.shutdown()


async def test_loop_when_store_stays_unavailable_switches_to_reducing_and_reports_it(
    sim: SimHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = BotRuntime.from_settings(
        load_settings(environ=bot_environ(sim, TradingMode.PAPER, tmp_path / "bot.db"))
    )
    try:
        await runtime.prepare()
        (loop,) = runtime.loops
        await loop.warm_up()
        assert runtime.store is not None

        async def store_down(*_: object, **__: object) -> None:
            raise StoreUnavailable("database is not reachable (simulated outage)")

        # The store's own retries are tested in tests/integration/db; here the engine's reaction.
        def state() -> TradingState:  # read fresh each time (no type narrowing across awaits)
            return runtime.risk.trading_state

        def store_available() -> bool:
            return runtime.status.store_available

        with monkeypatch.context() as patch:
            patch.setattr(runtime.store, "load_positions", store_down)
            await loop.on_store_unavailable(StoreUnavailable("database is not reachable"))
            assert state() is TradingState.REDUCING
            assert store_available() is False
            assert "store unavailable" in (runtime.status.last_error or "")

            with pytest.raises(StoreUnavailable):
                await loop.iterate()  # still down: the probe fails, nothing trades
            assert state() is TradingState.REDUCING

        sim.advance_clock(60)
        await loop.iterate()  # the store answers again
        assert store_available() is True
        assert state() is TradingState.ACTIVE
    finally:
        await runtime.shutdown()
