"""Test harness: run the simulator in-process or as a subprocess, and point real ccxt at it.

Stable interface used by other components' tests::

    with running_simulator(seed=7) as sim:          # speed 0, fixed key pair, free port
        ex = ccxt_client(sim)                       # real ccxt.binance on sim.base_url
        ex.create_order("BTC/USDT", "market", "buy", 0.001)
        assert sim.state()["accounts"][sim.api_key]["trades"]
        sim.add_fault(method="POST", path="/api/v3/order", action="execute_then_error")

    with start_simulator_process(state_file=path) as proc:   # crash tests
        proc.kill(); proc.restart()                          # same port, same state file
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from imb_bot.exchange.sim import control
from imb_bot.exchange.sim.config import SimConfig
from imb_bot.exchange.sim.control import ALIASES, SimHandle, SimProcess, wait_ready
from imb_bot.exchange.sim.server import bind_socket, build_server
from imb_bot.exchange.sim.venue import Credentials

__all__ = [
    "TEST_API_KEY",
    "TEST_API_SECRET",
    "SimHandle",
    "SimProcess",
    "ccxt_client",
    "running_simulator",
    "start_simulator_process",
]

TEST_API_KEY = "imbSimTestKey0000000000000000000000000000000000000000000000000001"
TEST_API_SECRET = "imbSimTestSecret000000000000000000000000000000000000000000000001"  # noqa: S105


def _config(options: Mapping[str, Any]) -> SimConfig:
    values = {ALIASES.get(key, key): value for key, value in options.items()}
    values.setdefault("speed", 0.0)
    values.setdefault("api_key", TEST_API_KEY)
    values.setdefault("api_secret", TEST_API_SECRET)
    values["host"] = "127.0.0.1"
    values["port"] = 0
    return SimConfig(**values)


@contextlib.contextmanager
def running_simulator(**options: Any) -> Iterator[SimHandle]:
    """Run a simulator in a background thread of this process; stop it on exit.

    Options are :class:`SimConfig` fields (``seed``, ``speed`` [default 0], ``balance`` or
    ``balances`` (dict), ``symbols``, ``data``, ``state`` or ``state_file``,
    ``weight_per_minute``, ``orders_per_10s``, …); host and port are fixed to 127.0.0.1 and a
    free port, the key pair to :data:`TEST_API_KEY` / :data:`TEST_API_SECRET` unless given.
    """
    config = _config(options)
    assert config.api_key is not None and config.api_secret is not None
    server, _ = build_server(config, Credentials(config.api_key, config.api_secret))
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"imb-sim-{port}", daemon=True
    )
    thread.start()
    handle = SimHandle(f"http://127.0.0.1:{port}", config.api_key, config.api_secret)
    try:
        wait_ready(handle.base_url, thread.is_alive)
        yield handle
    finally:
        handle.close()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# config fields that `imb-bot sim` takes as options; the others travel as IMB_SIM_* variables
def start_simulator_process(**options: Any) -> SimProcess:
    """Start the simulator as a child process (test key pair unless given); see
    :func:`imb_bot.exchange.sim.control.start_simulator_process`."""
    options.setdefault("api_key", TEST_API_KEY)
    options.setdefault("api_secret", TEST_API_SECRET)
    return control.start_simulator_process(**options)


def ccxt_client(handle: SimHandle, async_: bool = False, **overrides: Any) -> Any:
    """Return a real ccxt ``binance`` client (sync, or ``ccxt.async_support`` with ``async_``)
    pointed at the simulator as ``docs/simulator.md`` describes; close async ones yourself."""
    if async_:
        import ccxt.async_support as ccxt_module
    else:
        import ccxt as ccxt_module
    config: dict[str, Any] = {
        "apiKey": handle.api_key,
        "secret": handle.api_secret,
        "timeout": 5000,
        "enableRateLimit": False,
        "options": {
            "fetchMarkets": {"types": ["spot"]},
            "fetchCurrencies": False,
            "fetchMargins": False,
        },
    }
    config.update(overrides)
    exchange = ccxt_module.binance(config)
    exchange.set_sandbox_mode(True)
    base = handle.base_url
    exchange.urls["api"].update(
        {
            "public": base + "/api/v3",
            "private": base + "/api/v3",
            "v1": base + "/api/v1",
            "sapi": base + "/sapi/v1",
        }
    )
    return exchange
