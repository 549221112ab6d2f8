"""``imb-bot demo`` as a user runs it: trades appear, Ctrl-C stops bot and simulator cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from tests.support import free_port, get_json, wait_until

BIN = Path(sys.executable).parent / "imb-bot"


def test_demo_when_started_trades_via_the_simulator_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMB_")}
    env["IMB_API_PORT"] = str(port)
    proc = subprocess.Popen(
        [BIN, "demo", "--speed", "240"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    api = f"http://127.0.0.1:{port}"

    def trades_so_far() -> list[dict[str, object]] | None:
        page = get_json(f"{api}/history/trades")
        return page["items"] if page else None

    try:
        trades = wait_until(trades_so_far, timeout_s=90, interval_s=0.5)
        status = get_json(f"{api}/status") or {}
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert trades, f"no trade within 90 s; status={status}\n{output[-3000:]}"
    assert status["mode"] == "LIVE_TESTNET"
    assert proc.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    assert (tmp_path / "imb_demo.sqlite3").exists()
    sim_url = re.search(r"simulator\s+(http://127\.0\.0\.1:\d+)", output)
    assert sim_url is not None, output[-3000:]
    with pytest.raises(httpx.TransportError):  # the simulator child stopped with the demo
        httpx.get(sim_url.group(1) + "/api/v3/ping", timeout=2)
