"""The trading loop end to end: simulator (real HTTP) → real ccxt connector → core → broker → store.

Deterministic: the simulator's market clock is frozen and advanced one candle at a time, and each
symbol loop's ``iterate()`` is called directly (no sleeping, no wall-clock dependence).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from imb_bot.config import TradingMode, load_settings
from imb_bot.core.execution import ClientOrderIdFactory
from imb_bot.engine.runtime import BotRuntime
from imb_bot.exchange.sim.testing import SimHandle, running_simulator

from .helpers import MAX_ORDER_NOTIONAL, bot_environ, run_candles

CANDLES = 220


@pytest.fixture
def sim() -> Iterator[SimHandle]:
    # Only quote cash at start, so the bot's position is the whole base balance.
    with running_simulator(seed=11, balance={"BTC": "0", "ETH": "0", "USDT": "10000"}) as handle:
        yield handle


@pytest.mark.parametrize("mode", [TradingMode.PAPER, TradingMode.LIVE_TESTNET])
async def test_loop_when_run_over_many_candles_trades_within_limits_and_logs_the_chain(
    sim: SimHandle, tmp_path: Path, mode: TradingMode, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="imb_bot")
    runtime = BotRuntime.from_settings(
        load_settings(environ=bot_environ(sim, mode, tmp_path / "bot.db"))
    )
    try:
        await runtime.prepare()
        await run_candles(sim, runtime, CANDLES)
        assert runtime.account is not None
        portfolio = runtime.account.portfolio
        (loop,) = runtime.loops
        assert loop.candles_processed >= CANDLES - 1
        assert runtime.status.orders_submitted >= 2, "the strategy should have traded"

        events = [(r.getMessage(), getattr(r, "ctx", {})) for r in caplog.records]
        names = [name for name, _ in events]
        assert "candle" in names
        first_fill = next(ctx for name, ctx in events if name == "order_filled")
        cid = first_fill["client_order_id"]
        chain = [
            name
            for name, ctx in events
            if ctx.get("client_order_id") == cid
            and name in ("decision", "order_submitting", "order_filled")
        ]
        assert chain[:3] == ["decision", "order_submitting", "order_filled"]

        account = sim.account_state()
        if mode is TradingMode.LIVE_TESTNET:
            orders = account["orders"]
            assert orders, "orders must have reached the simulator"
            client_ids = [o["clientOrderId"] for o in orders]
            assert len(client_ids) == len(set(client_ids)), "a client id was used twice"
            for client_id in client_ids:
                parsed = ClientOrderIdFactory.parse(client_id)
                assert parsed is not None and parsed[0].startswith("r"), client_id
            for order in orders:
                if order["side"] == "BUY":
                    assert Decimal(order["cummulativeQuoteQty"]) <= MAX_ORDER_NOTIONAL
            btc = account["balances"]["BTC"]
            usdt = account["balances"]["USDT"]
            assert portfolio.position("BTC/USDT").quantity == Decimal(btc["free"]) + Decimal(
                btc["locked"]
            )
            assert portfolio.balance("USDT") == Decimal(usdt["free"]) + Decimal(usdt["locked"])
        else:
            assert account["orders"] == [], "PAPER must not send orders to the exchange"
            assert portfolio.position("BTC/USDT").quantity >= 0
    finally:
        await runtime.shutdown()
