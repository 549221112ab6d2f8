"""Run and drive a simulator from another program: admin client and child-process control.

Used by ``imb-bot demo``, benchmarks and tests (``imb_bot.exchange.sim.testing`` adds fixed test
credentials and an in-process runner on top).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from imb_bot.exchange.sim.config import ENV_PREFIX

__all__ = ["SimHandle", "SimProcess", "start_simulator_process", "wait_ready"]

START_TIMEOUT_S = 20.0
ALIASES = {"balances": "balance", "state_file": "state"}


@dataclass
class SimHandle:
    """A running simulator: where it is, its credentials and admin helpers (sync, httpx)."""

    base_url: str
    api_key: str
    api_secret: str
    _client: httpx.Client | None = field(default=None, repr=False)

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(base_url=self.base_url, timeout=10.0)
        return self._client

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        response = self._http().request(method, path, json=json)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path} → {response.status_code}: {response.text}")
        return response.json()

    def state(self) -> dict[str, Any]:
        """``GET /__sim__/state``: balances, orders and trades of every account."""
        data: dict[str, Any] = self._call("GET", "/__sim__/state")
        return data

    def account_state(self) -> dict[str, Any]:
        """The state of this handle's own account."""
        accounts: dict[str, Any] = self.state()["accounts"]
        return dict(accounts[self.api_key])

    def balance(self, asset: str) -> tuple[Decimal, Decimal]:
        """(free, locked) of ``asset`` in this handle's account."""
        entry = self.account_state()["balances"].get(asset, {"free": "0", "locked": "0"})
        return Decimal(entry["free"]), Decimal(entry["locked"])

    def add_fault(self, **fault: Any) -> None:
        """``POST /__sim__/faults`` (fields: method, path, count | probability, action, …)."""
        self._call("POST", "/__sim__/faults", json=fault)

    def clear_faults(self) -> None:
        """``DELETE /__sim__/faults``."""
        self._call("DELETE", "/__sim__/faults")

    def reset(self) -> None:
        """``POST /__sim__/reset``: initial balances, no orders/trades/faults/limits."""
        self._call("POST", "/__sim__/reset")

    def advance_clock(self, seconds: float) -> None:
        """Move the market clock forward (resting orders the price reaches fill)."""
        self._call("POST", "/__sim__/clock", json={"advance_seconds": seconds})

    def set_speed(self, speed: float) -> None:
        """Change the market clock speed (0 freezes it)."""
        self._call("POST", "/__sim__/clock", json={"speed": speed})

    def market_time_ms(self) -> int:
        """Current market time."""
        return int(self._call("GET", "/__sim__/clock")["market_time_ms"])

    def close(self) -> None:
        """Close the admin HTTP client."""
        if self._client is not None:
            self._client.close()
            self._client = None


def wait_ready(base_url: str, alive: Any, timeout_s: float = START_TIMEOUT_S) -> None:
    """Wait until ``/api/v3/ping`` answers; fail early when ``alive()`` turns false."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=1.0) as client:
        while time.monotonic() < deadline:
            if not alive():
                raise RuntimeError(f"simulator at {base_url} exited during start-up")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(base_url + "/api/v3/ping").status_code == 200:
                    return
            time.sleep(0.02)
    raise RuntimeError(f"simulator at {base_url} did not answer /api/v3/ping in {timeout_s} s")


_CLI_FIELDS = frozenset(
    {
        "host", "port", "data", "speed", "seed", "api_key", "api_secret", "balance", "state",
        "symbols", "history_minutes", "weight_per_minute", "orders_per_10s", "commission_rate",
        "spread_bps", "book_levels",
    }
)  # fmt: skip


def _process_args(options: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    # options -> (command-line arguments, extra environment)
    args: list[str] = []
    env: dict[str, str] = {}
    for key, value in options.items():
        field_name = ALIASES.get(key, key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            parts = [f"{k}={v}" for k, v in value.items()]
        elif isinstance(value, list | tuple):
            parts = [",".join(map(str, value))]
        else:
            parts = [str(value)]
        if field_name in _CLI_FIELDS:
            for part in parts:
                args += ["--" + field_name.replace("_", "-"), part]
        else:
            env[ENV_PREFIX + field_name.upper()] = ",".join(parts)
    return args, env


class SimProcess:
    """The simulator as a child process (``imb-bot demo``, benchmarks, crash tests).

    Runs ``python -m imb_bot.exchange.sim`` (the ``imb-bot sim`` command without the bot's other
    imports, so it starts faster); output goes to ``log_path``.
    """

    def __init__(self, options: Mapping[str, Any]) -> None:
        opts = dict(options)
        opts.setdefault("speed", 0)
        for required in ("api_key", "api_secret"):
            if not opts.get(required):
                raise ValueError(f"SimProcess needs {required}")
        self.port = int(opts.pop("port", 0) or 0)
        self.options = opts
        self.log_path = Path(tempfile.mkstemp(prefix="imb-sim-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None
        self.handle = SimHandle("http://127.0.0.1:0", str(opts["api_key"]), str(opts["api_secret"]))
        self.start_seconds = 0.0  # how long the last start took until /ping answered

    def start(self) -> SimHandle:
        """Start the process (on the previous port after a kill) and wait for /ping."""
        args, extra_env = _process_args(self.options)
        env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
        env.update(extra_env)
        cmd = [sys.executable, "-m", "imb_bot.exchange.sim", "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), *args]
        began = time.monotonic()
        with self.log_path.open("ab") as log:
            log.write(b"\n")
            offset = log.tell()
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv
                cmd, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        process = self.process
        if self.port == 0:
            self.port = self._read_port(offset)
        self.handle.close()
        self.handle.base_url = f"http://127.0.0.1:{self.port}"
        wait_ready(self.handle.base_url, lambda: process.poll() is None)
        self.start_seconds = time.monotonic() - began
        return self.handle

    def _read_port(self, offset: int) -> int:
        deadline = time.monotonic() + START_TIMEOUT_S
        pattern = re.compile(rb"listening on http://[^:\s]+:(\d+)")
        while time.monotonic() < deadline:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                found = pattern.search(log.read())
            if found:
                return int(found.group(1))
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"simulator did not start: {self.log_path.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the process (a crash) and wait for it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM the process (graceful) and wait; SIGKILL after 10 s."""
        self.handle.close()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> SimHandle:
        """Kill (if running) and start again on the same port with the same options."""
        self.kill()
        return self.start()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            self.log_path.unlink()


def start_simulator_process(**options: Any) -> SimProcess:
    """Start the simulator process and wait until it answers ``/api/v3/ping``.

    Options are :class:`~imb_bot.exchange.sim.config.SimConfig` fields (``seed``, ``speed``
    [default 0], ``balance``/``balances``, ``symbols``, ``data``, ``state``/``state_file``, …),
    ``api_key`` and ``api_secret`` (required) and ``port`` (default: a free one). Use the result
    as a context manager to stop it; ``kill()`` + ``restart()`` simulate a crash.
    """
    proc = SimProcess(options)
    try:
        proc.start()
    except BaseException:
        proc.stop()
        raise
    return proc
