"""Crash test: SIGKILL the bot (LIVE_TESTNET against the simulator) ≥ 20 times, then compare.

Rounds kill the bot deterministically between intent and submit and between submit and
recording the fill (the chaos hook SIGKILLs the process at those points), and at random moments
from outside. The simulator keeps running with ``--state``. After a final clean run, the store's
orders, trades and positions must equal the simulator's ground truth and ``imb-bot db check``
must pass.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from tests.support import free_port, get_json, wait_until

from imb_bot.exchange.sim.testing import SimProcess, start_simulator_process

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent / "imb-bot"
ROUNDS = [("after_intent=1", None)] * 6 + [("after_submit=1", None)] * 6 + [("", "random")] * 12


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimProcess]:
    proc = start_simulator_process(
        state_file=tmp_path / "sim-state.json",
        speed=600,
        seed=5,
        balance={"USDT": "10000", "BTC": "0", "ETH": "0"},
    )
    try:
        yield proc
    finally:
        proc.stop()


def _bot_env(sim: SimProcess, db_url: str, port: int, chaos: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMB_")}
    env.update(
        {
            "IMB_TRADING_MODE": "LIVE_TESTNET",
            "IMB_EXCHANGE_URL": sim.handle.base_url,
            "IMB_EXCHANGE_API_KEY": sim.handle.api_key,
            "IMB_EXCHANGE_API_SECRET": sim.handle.api_secret,
            "IMB_DATABASE_URL": db_url,
            "IMB_API_PORT": str(port),
            "IMB_SYMBOLS": "BTC/USDT",
            "IMB_STRATEGY__RSI_OVERSOLD": "49",
            "IMB_STRATEGY__RSI_OVERBOUGHT": "51",
            "IMB_STRATEGY__SIZE_VALUE": "20",
            "IMB_STRATEGY__STOP_LOSS_PCT": "0.2",
            "IMB_STRATEGY__TAKE_PROFIT_PCT": "0.2",
            "IMB_RISK__MIN_TRADE_INTERVAL_S": "0",
            "IMB_RISK__MAX_TRADES_PER_DAY": "100000",
            "IMB_RISK__MAX_ORDERS_PER_WINDOW": "100000",
            "IMB_RISK__MAX_DAILY_LOSS_QUOTE": "5000",
            "IMB_ENGINE__POLL_INTERVAL_S": "0.1",
            "IMB_EXCHANGE_CLIENT_RATE_LIMIT": "false",
            "IMB_ENGINE__UNKNOWN_ORDER_CHECK_DELAY_S": "0.1",
            "IMB_CHAOS_KILL_AT": chaos,
        }
    )
    return env


def _run_round(env: dict[str, str], log: Path, kill_after_s: float | None) -> str:
    """Start the bot; return how the round ended: 'chaos', 'sigkill' or 'timeout'."""
    with log.open("a") as out:
        proc = subprocess.Popen([BIN, "run"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        returncode = proc.wait(timeout=kill_after_s if kill_after_s is not None else 30.0)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        return "sigkill" if kill_after_s is not None else "timeout"
    assert returncode == -signal.SIGKILL, f"bot exited with {returncode}"
    return "chaos"


def _store_rows(db_url: str) -> tuple[Sequence[Any], Sequence[Any], Sequence[Any]]:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        orders = conn.execute(
            sa.text("SELECT client_order_id, status, filled_quantity FROM orders")
        ).all()
        trades = conn.execute(
            sa.text("SELECT symbol, trade_id, client_order_id, quantity FROM trades")
        ).all()
        positions = conn.execute(sa.text("SELECT symbol, quantity FROM positions")).all()
    engine.dispose()
    return orders, trades, positions


def test_bot_when_killed_at_random_and_critical_moments_recovers_to_exchange_truth(
    sim: SimProcess, tmp_path: Path, database_url: str
) -> None:
    db_url = database_url  # SQLite, and PostgreSQL (its single-statement write path)
    port = free_port()
    log = tmp_path / "bot.log"
    rng = random.Random(20261124)
    endings = []
    for chaos, kind in ROUNDS:
        kill_after = rng.uniform(0.5, 4.0) if kind == "random" else None
        endings.append(_run_round(_bot_env(sim, db_url, port, chaos), log, kill_after))
    assert "timeout" not in endings, f"a chaos round never reached its kill point: {endings}"
    assert len(endings) >= 20

    # Final clean run: reconcile, trade a little, stop gracefully.
    final_log = tmp_path / "final.log"
    with final_log.open("w") as out:
        proc = subprocess.Popen(
            [BIN, "run"], env=_bot_env(sim, db_url, port, ""), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}/status"

        def trading_for_a_while() -> dict[str, Any] | None:
            status = get_json(url)
            return status if status and status["iterations"] >= 20 else None

        status = wait_until(trading_for_a_while, timeout_s=60, interval_s=0.2) or get_json(url)
        assert status is not None and status["state"] == "running", (
            f"{status}\n{final_log.read_text()[-3000:]}"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0

    bot_log = log.read_text()
    assert '"point":"after_intent"' in bot_log
    assert '"point":"after_submit"' in bot_log

    account = sim.handle.account_state()
    sim_orders = account["orders"]
    sim_ids = [o["clientOrderId"] for o in sim_orders]
    assert len(sim_ids) == len(set(sim_ids)), "an order reached the exchange twice"

    orders, trades, positions = _store_rows(db_url)
    stored = {row.client_order_id: row for row in orders}
    for order in sim_orders:
        row = stored.get(order["clientOrderId"])
        assert row is not None, f"exchange order {order['clientOrderId']} missing in the store"
        assert row.status == order["status"], (order, row)
        assert Decimal(row.filled_quantity) == Decimal(order["executedQty"]), (order, row)
    for client_id, row in stored.items():
        if client_id not in set(sim_ids):
            assert row.status == "REJECTED", f"{client_id} never reached the exchange: {row}"

    sim_trades = {(t["symbol"], str(t["id"]), Decimal(t["qty"])) for t in account["trades"]}
    store_trades = {
        (symbol.replace("/", ""), str(trade_id), Decimal(qty))
        for symbol, trade_id, _, qty in trades
    }
    assert sim_trades == store_trades, "store trades differ from the exchange's"
    assert len(sim_trades) >= 10, "too few trades to mean anything"
    print(  # shown with -s: what the run exercised
        f"rounds={len(endings)} endings={endings.count('chaos')} chaos / "
        f"{endings.count('sigkill')} sigkill; exchange orders={len(sim_orders)} "
        f"trades={len(sim_trades)}; store orders={len(stored)} "
        f"(rejected, never sent: {len(set(stored) - set(sim_ids))})"
    )

    held = {symbol: Decimal(qty) for symbol, qty in positions}
    btc = account["balances"]["BTC"]
    assert held.get("BTC/USDT", Decimal(0)) == Decimal(btc["free"]) + Decimal(btc["locked"])

    check = subprocess.run(
        [BIN, "db", "check", "--database-url", db_url], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
