"""Benchmark: the simulator under real async ccxt on loopback, against a canned-JSON reference.

Measures, one request at a time (the bot's pattern), with the simulator in its own process:

* signed MARKET order round trips per second (``create_order``; target >= 1,200/s),
* ``fetch_ohlcv(limit=500)`` requests per second (target >= 400/s),
* server CPU per request (from /proc of the simulator process),

and the same client calls against a starlette/uvicorn server in its own process that answers
the very same bytes without doing any work (the floor: perf-anchors.md §E measured ~1,480
orders/s and ~436 klines(500)/s for that setup). The two servers take turns in blocks of calls, so
machine noise hits both alike; medians over rounds are reported.

Run: ``.venv/bin/python bench/bench_sim.py [--orders 2000] [--klines 500] [--rounds 3]``.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from imb_bot.exchange.sim.testing import SimHandle, ccxt_client, start_simulator_process

SYMBOL = "BTC/USDT"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    # user + system CPU time of a process, from /proc/<pid>/stat
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- canned reference server ------------------------------------------------------------------


def serve_canned(port: int, fixtures: Path) -> None:
    """Serve captured simulator answers from a starlette app (runs in a child process)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    canned: dict[str, str] = json.loads(fixtures.read_text())
    bodies = {name: body.encode() for name, body in canned.items()}
    json_type = "application/json;charset=UTF-8"

    def answer(name: str) -> Any:
        async def endpoint(request: Request) -> Response:
            await request.body()
            return Response(bodies[name], media_type=json_type)

        return endpoint

    app = Starlette(
        routes=[
            Route("/api/v3/exchangeInfo", answer("exchangeInfo")),
            Route("/api/v3/time", answer("time")),
            Route("/api/v3/ping", answer("ping")),
            Route("/api/v3/klines", answer("klines")),
            Route("/api/v3/order", answer("order"), methods=["POST"]),
        ]
    )
    uvicorn.run(
        app, host="127.0.0.1", port=port, loop="uvloop", http="httptools", log_level="warning",
        access_log=False,
    )  # fmt: skip


def _capture(handle: SimHandle) -> dict[str, str]:
    # the exact bytes the simulator answers, for the canned server
    client = ccxt_client(handle)
    client.load_markets()
    client.create_order(SYMBOL, "market", "buy", 0.0002)
    order = client.last_http_response
    base = handle.base_url + "/api/v3"
    with httpx.Client() as http:
        return {
            "exchangeInfo": http.get(base + "/exchangeInfo").text,
            "time": http.get(base + "/time").text,
            "ping": "{}",
            "klines": http.get(
                base + "/klines", params={"symbol": "BTCUSDT", "interval": "1m", "limit": 500}
            ).text,
            "order": order,
        }


def _start_canned(fixtures: dict[str, str]) -> tuple[subprocess.Popen[bytes], SimHandle]:
    path = Path(tempfile.mkstemp(prefix="canned-", suffix=".json")[1])
    path.write_text(json.dumps(fixtures))
    port = _free_port()
    process = subprocess.Popen([sys.executable, __file__, "--canned-server", str(port), str(path)])
    handle = SimHandle(f"http://127.0.0.1:{port}", "benchKey", "benchSecret")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(handle.base_url + "/api/v3/ping", timeout=1).status_code == 200:
                return process, handle
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("canned server did not start")


# --- measurement ------------------------------------------------------------------------------


def _summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    total = sum(ordered)
    return {
        "per_s": round(len(ordered) / total, 1),
        "p50_us": round(ordered[len(ordered) // 2] * 1e6),
        "p99_us": round(ordered[int(len(ordered) * 0.99) - 1] * 1e6),
        "n": len(ordered),
    }


async def _orders(client: Any, n: int) -> list[float]:
    latencies = []
    for i in range(n):
        side = "buy" if i % 2 == 0 else "sell"
        began = time.perf_counter()
        await client.create_order(SYMBOL, "market", side, 0.0002)
        latencies.append(time.perf_counter() - began)
    return latencies


async def _klines(client: Any, n: int) -> list[float]:
    latencies = []
    for _ in range(n):
        began = time.perf_counter()
        candles = await client.fetch_ohlcv(SYMBOL, "1m", limit=500)
        latencies.append(time.perf_counter() - began)
        assert len(candles) == 500
    return latencies


ORDER_BLOCK = 100  # requests per turn: targets take turns so machine noise hits both alike
KLINE_BLOCK = 25


async def _measure(
    targets: dict[str, tuple[SimHandle, int]], orders: int, klines: int
) -> dict[str, dict[str, dict[str, float]]]:
    """Time the same calls on every target, alternating blocks between them."""
    clients = {name: ccxt_client(handle, async_=True) for name, (handle, _) in targets.items()}
    order_lat: dict[str, list[float]] = {name: [] for name in targets}
    kline_lat: dict[str, list[float]] = {name: [] for name in targets}
    order_cpu = dict.fromkeys(targets, 0.0)
    kline_cpu = dict.fromkeys(targets, 0.0)
    try:
        for client in clients.values():
            await client.load_markets()
            await _orders(client, 200)  # warm-up
            await _klines(client, 50)
        gc.collect()
        gc.freeze()
        for _ in range(orders // ORDER_BLOCK):
            for name, client in clients.items():
                pid = targets[name][1]
                cpu = _cpu_seconds(pid)
                order_lat[name] += await _orders(client, ORDER_BLOCK)
                order_cpu[name] += _cpu_seconds(pid) - cpu
        for _ in range(klines // KLINE_BLOCK):
            for name, client in clients.items():
                pid = targets[name][1]
                cpu = _cpu_seconds(pid)
                kline_lat[name] += await _klines(client, KLINE_BLOCK)
                kline_cpu[name] += _cpu_seconds(pid) - cpu
        gc.unfreeze()
    finally:
        for client in clients.values():
            await client.close()
    result: dict[str, dict[str, dict[str, float]]] = {}
    for name in targets:
        order_stats = _summary(order_lat[name])
        order_stats["server_cpu_us"] = round(order_cpu[name] / len(order_lat[name]) * 1e6)
        kline_stats = _summary(kline_lat[name])
        kline_stats["server_cpu_us"] = round(kline_cpu[name] / len(kline_lat[name]) * 1e6)
        result[name] = {"orders": order_stats, "klines500": kline_stats}
    return result


def _median(rounds: list[dict[str, dict[str, float]]], kind: str) -> dict[str, float]:
    keys = rounds[0][kind].keys()
    return {k: statistics.median(r[kind][k] for r in rounds) for k in keys}


def _in_process_klines_us() -> float:
    # server-side cost of one klines(500) answer, without HTTP: build rows + join
    from imb_bot.exchange.sim.config import SimConfig
    from imb_bot.exchange.sim.market_api import MarketApi
    from imb_bot.exchange.sim.venue import Credentials, SimExchange

    api = MarketApi(SimExchange(SimConfig(speed=0), Credentials("k", "s")))
    params = {"symbol": "BTCUSDT", "interval": "1m", "limit": "500"}
    api.klines(params)
    began = time.perf_counter()
    for _ in range(2000):
        api.klines(params)
    return (time.perf_counter() - began) / 2000 * 1e6


def main() -> None:
    """Run the benchmark and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--klines", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--canned-server", nargs=2, metavar=("PORT", "FIXTURES"))
    args = parser.parse_args()
    if args.canned_server:
        serve_canned(int(args.canned_server[0]), Path(args.canned_server[1]))
        return

    limits = {"weight_per_minute": 10**9, "orders_per_10s": 10**9}
    sim_rounds: list[dict[str, dict[str, float]]] = []
    canned_rounds: list[dict[str, dict[str, float]]] = []
    with start_simulator_process(seed=1, balances={"USDT": 10**7, "BTC": 100}, **limits) as proc:
        assert proc.process is not None
        canned, canned_handle = _start_canned(_capture(proc.handle))
        try:
            targets = {
                "simulator": (proc.handle, proc.process.pid),
                "canned": (canned_handle, canned.pid),
            }
            for _ in range(args.rounds):
                measured = asyncio.run(_measure(targets, args.orders, args.klines))
                sim_rounds.append(measured["simulator"])
                canned_rounds.append(measured["canned"])
        finally:
            canned.terminate()
            canned.wait(timeout=10)
        start_seconds = proc.start_seconds
    sim_orders = _median(sim_rounds, "orders")
    sim_klines = _median(sim_rounds, "klines500")
    canned_orders = _median(canned_rounds, "orders")
    canned_klines = _median(canned_rounds, "klines500")
    result = {
        "benchmark": "bench_sim",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "rounds": args.rounds,
        "simulator_start_to_ping_s": round(start_seconds, 3),
        "market_orders_async_ccxt": {
            "simulator": sim_orders,
            "canned_reference": canned_orders,
            "ratio_to_reference": round(sim_orders["per_s"] / canned_orders["per_s"], 3),
            "target_per_s": 1200,
            "meets_target": sim_orders["per_s"] >= 1200,
        },
        "klines500_async_ccxt": {
            "simulator": sim_klines,
            "canned_reference": canned_klines,
            "ratio_to_reference": round(sim_klines["per_s"] / canned_klines["per_s"], 3),
            "target_per_s": 400,
            "meets_target": sim_klines["per_s"] >= 400,
        },
        "klines500_server_in_process_us": round(_in_process_klines_us(), 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
