"""``imb-bot sim`` as a process: start-up, demo keys, bad options, and surviving SIGKILL."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.support import free_port, wait_until
from typer.testing import CliRunner

from imb_bot.cli import app
from imb_bot.exchange.sim.testing import SimHandle, ccxt_client, start_simulator_process

IMB_BOT = Path(sys.executable).with_name("imb-bot")


def test_imb_bot_sim_when_started_answers_ping_and_prints_working_demo_keys(
    tmp_path: Path,
) -> None:
    port = free_port()
    log = tmp_path / "sim.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMB_SIM_")}
    began = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(IMB_BOT), "sim", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:

        def pinged() -> float | None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v3/ping", timeout=1).json() == {}:
                    return time.monotonic() - began
            except httpx.HTTPError:
                pass
            return None

        answered = wait_until(pinged, timeout_s=30, interval_s=0.01)
        assert answered is not None, log.read_text()
        print(f"\nimb-bot sim start-to-ping: {answered:.3f} s")
        text = log.read_text()
        key = re.search(r"api key:\s+(\S+)", text)
        secret = re.search(r"api secret:\s+(\S+)", text)
        assert key and secret, text
        assert len(key.group(1)) == 64
        client = ccxt_client(SimHandle(f"http://127.0.0.1:{port}", key.group(1), secret.group(1)))
        assert client.fetch_balance()["USDT"]["total"] == 10000.0
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--port", "abc"], "invalid --port (IMB_SIM_PORT)"),
        (["--speed", "-2"], "invalid --speed (IMB_SIM_SPEED)"),
        (["--balance", "BTC"], "expected ASSET=AMOUNT"),
        (["--data", "BTC/USDT=/nope.csv"], "does not exist"),
        (["--api-key", "abc"], "give both --api-key and --api-secret"),
        (["--symbols", "DOGE/USDT"], "give its price as DOGE/USDT:PRICE"),
    ],
)
def test_imb_bot_sim_when_option_invalid_exits_2_with_one_line(
    args: list[str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [k for k in os.environ if k.startswith("IMB_SIM_")]:
        monkeypatch.delenv(name)

    result = CliRunner().invoke(app, ["sim", *args])

    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.output


def test_imb_bot_sim_when_env_variable_invalid_exits_2_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IMB_SIM_SEED", "many")

    result = CliRunner().invoke(app, ["sim"])

    assert result.exit_code == 2
    assert "IMB_SIM_SEED" in result.output


def test_simulator_process_when_killed_and_restarted_keeps_state_and_prices(
    tmp_path: Path,
) -> None:
    state_file = tmp_path / "sim-state.json"
    with start_simulator_process(state_file=state_file, seed=21, orders_per_day=1234) as proc:
        client = ccxt_client(proc.handle)
        client.load_markets()
        limits = client.public_get_exchangeinfo()["rateLimits"]
        assert {
            "rateLimitType": "ORDERS",
            "interval": "DAY",
            "intervalNum": 1,
            "limit": 1234,
        } in limits
        client.create_order("BTC/USDT", "market", "buy", 0.01, params={"clientOrderId": "c-1"})
        resting = client.create_order("ETH/USDT", "limit", "buy", 0.5, 1000)
        proc.handle.advance_clock(30)
        before = proc.handle.state()
        last = client.fetch_ticker("BTC/USDT")["last"]

        proc.kill()
        proc.restart()

        after = proc.handle.state()
        assert after["accounts"] == before["accounts"]
        assert after["market_time_ms"] == before["market_time_ms"]
        assert client.fetch_ticker("BTC/USDT")["last"] == last
        assert client.fetch_order(resting["id"], "ETH/USDT")["status"] == "open"
        assert client.fetch_order(None, "BTC/USDT", params={"clientOrderId": "c-1"})["filled"]
        again = client.create_order("BTC/USDT", "market", "sell", 0.01)
        assert int(again["id"]) == 2
