"""The ``imb-bot`` console script as a user runs it: real subprocesses, real HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support import free_port, get_json, wait_until

BIN = Path(sys.executable).parent / "imb-bot"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMB_")}
    env.update(extra)
    return env


def test_help_when_called_lists_commands() -> None:
    result = subprocess.run([BIN, "--help"], capture_output=True, text=True, check=True, env=_env())
    for command in ("run", "config"):
        assert command in result.stdout


def test_run_when_trading_mode_invalid_exits_2_with_one_clear_line() -> None:
    result = subprocess.run(
        [BIN, "run"],
        check=False,
        capture_output=True,
        text=True,
        env=_env(IMB_TRADING_MODE="banana"),
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "IMB_TRADING_MODE" in lines[0]
    assert "banana" in lines[0]
    assert "PAPER" in lines[0] and "LIVE_TESTNET" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_config_show_when_secrets_set_prints_them_redacted() -> None:
    result = subprocess.run(
        [BIN, "config", "show"],
        capture_output=True,
        text=True,
        check=True,
        env=_env(
            IMB_EXCHANGE_API_KEY="canary-key-4711", IMB_EXCHANGE_API_SECRET="canary-secret-4711"
        ),
    )
    assert "canary-secret-4711" not in result.stdout
    assert "canary-key-4711" not in result.stdout
    assert '"exchange_api_secret": "***"' in result.stdout


def test_run_when_started_serves_health_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [BIN, "run"],
        env=_env(IMB_API_PORT=str(port), IMB_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = wait_until(lambda: get_json(f"http://127.0.0.1:{port}/health"), timeout_s=60)
        assert body is not None and body["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output


def test_run_when_database_unreachable_exits_1_with_one_line_and_no_password() -> None:
    result = subprocess.run(
        [BIN, "run"],
        capture_output=True,
        text=True,
        check=False,
        env=_env(IMB_DATABASE_URL="postgresql+psycopg://bot:pw-CANARY-77@127.0.0.1:1/nope"),
        timeout=60,
    )
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith("start-up error: cannot prepare the database")
    assert "pw-CANARY-77" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
