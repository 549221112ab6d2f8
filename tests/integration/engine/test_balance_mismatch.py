"""When the exchange holds less than our books (e.g. a testnet reset), halt; refuse to resume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from imb_bot.config import TradingMode, load_settings
from imb_bot.core.models import OrderStatus, Signal, SignalAction, SizeType
from imb_bot.core.risk import TradingState
from imb_bot.engine.controller import ResumeRefusedError
from imb_bot.engine.runtime import BotRuntime
from imb_bot.engine.status import BotState
from imb_bot.exchange.sim.testing import SimHandle, running_simulator

from .helpers import bot_environ


@pytest.fixture
def sim() -> Iterator[SimHandle]:
    with running_simulator(seed=13, balance={"BTC": "0", "ETH": "0", "USDT": "10000"}) as handle:
        yield handle


async def test_exit_when_exchange_holds_less_than_the_position_halts_and_resume_is_refused(
    sim: SimHandle, tmp_path: Path
) -> None:
    runtime = BotRuntime.from_settings(
        load_settings(environ=bot_environ(sim, TradingMode.LIVE_TESTNET, tmp_path / "bot.db"))
    )
    try:
        await runtime.prepare()
        assert runtime.account is not None and runtime.orders is not None
        (loop,) = runtime.loops
        await loop.warm_up()
        for _ in range(200):  # trade until the bot holds a position
            sim.advance_clock(60)
            await loop.iterate()
            if runtime.account.portfolio.position("BTC/USDT").quantity > 0:
                break
        held = runtime.account.portfolio.position("BTC/USDT").quantity
        assert held > 0, "the strategy never bought; the test needs a position"

        sim.reset()  # like a Spot Testnet reset: the account is refilled, our BTC is gone
        exit_signal = Signal(
            action=SignalAction.SELL,
            symbol="BTC/USDT",
            strategy_id="test",
            candle_time=loop.last_candle_time or runtime.status.last_loop_at,  # type: ignore[arg-type]
            reason="exit",
            size_type=SizeType.FIXED_BASE,
            size_value=held,
        )
        order = await loop.act(exit_signal, exit_signal.candle_time)
        assert order is not None and order.status is OrderStatus.REJECTED
        assert runtime.status.state is BotState.HALTED
        assert runtime.risk.trading_state is TradingState.HALTED
        assert "exceeds the exchange balance" in (runtime.status.halt_reason or "")

        again = await loop.act(exit_signal, exit_signal.candle_time)
        assert again is None  # halted: nothing more is sent

        with pytest.raises(ResumeRefusedError, match="exchange holds only 0"):
            await runtime.controller.start()
        assert runtime.risk.trading_state is TradingState.HALTED
        sells = [o for o in sim.account_state()["orders"] if o["side"] == "SELL"]
        assert sells == []  # refused orders never reach the exchange's books
    finally:
        await runtime.shutdown()
