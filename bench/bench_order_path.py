"""Benchmark: signal → acknowledged order through the simulator, including the intent write.

One order at a time through the real path: risk check + sizing (core), intent committed to the
store, signed market order through async ccxt to the simulator (a separate process, loopback):
that is "signal → acknowledged" (target p50 ≤ 2 ms). Then fills + order state + position are
written in one transaction: "signal → fill recorded". References in the same run: the
connector's ``place_order`` alone (no store) and raw async ccxt ``create_order``; the floor from
perf-anchors §E is ~0.67 ms for one ccxt order. Prints one JSON object.

    .venv/bin/python bench/bench_order_path.py [--orders 400] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from imb_bot.brokers.live import LiveBroker
from imb_bot.config.settings import TradingMode
from imb_bot.core.execution import ClientOrderIdFactory, ExecutionConfig, ExecutionEngine
from imb_bot.core.models import Order, OrderType, Side, Signal, SignalAction, SizeType
from imb_bot.core.portfolio import Portfolio
from imb_bot.core.risk import RiskConfig, RiskManager
from imb_bot.db.async_store import AsyncStore
from imb_bot.db.migrate import upgrade_to_head
from imb_bot.db.store import Store
from imb_bot.engine.account import Account
from imb_bot.engine.order_manager import OrderManager
from imb_bot.engine.status import BotStatus
from imb_bot.exchange.config import ConnectorConfig
from imb_bot.exchange.connector import ExchangeConnector, PlaceOrderResult
from imb_bot.exchange.sim.testing import ccxt_client, start_simulator_process
from imb_bot.secrets import ExchangeCredentials, StaticSecretsProvider
from scratch_db import scratch_postgres_database

SYMBOL = "BTC/USDT"
TARGET_P50_MS = 2.0


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
        "per_s": round(len(ordered) / sum(ordered), 1),
    }


async def _timed(count: int, warmup: int, step: Callable[[int], Awaitable[Any]]) -> list[float]:
    for i in range(warmup):
        await step(i)
    gc.collect()
    gc.freeze()  # perf-anchors §E: GC pauses otherwise dominate the tail
    samples = []
    for i in range(warmup, warmup + count):
        began = time.perf_counter()
        await step(i)
        samples.append(time.perf_counter() - began)
    gc.unfreeze()
    return samples


class _AckTimer(LiveBroker):
    """The live broker, noting when the exchange's acknowledgement arrived."""

    acked_at = 0.0

    async def place(self, order: Order) -> PlaceOrderResult:
        result = await super().place(order)
        self.acked_at = time.perf_counter()
        return result


async def _full_path(
    connector: ExchangeConnector, store_url: str, count: int, warmup: int
) -> tuple[list[float], list[float]]:
    """Return (signal → acknowledged, signal → fill recorded) samples in seconds."""
    upgrade_to_head(store_url)
    store = AsyncStore(Store.from_url(store_url))
    rules = await connector.get_market_rules(SYMBOL)
    balances = await connector.get_balances()
    portfolio = Portfolio(quote_asset="USDT", markets=[rules], cash={"USDT": balances["USDT"].free})
    account = Account(portfolio)
    status = BotStatus(mode="LIVE_TESTNET", symbols=[SYMBOL])
    risk = RiskManager(
        RiskConfig(max_trades_per_day=None, max_orders_per_window=None, min_trade_interval_s=0)
    )
    run = await store.start_run(TradingMode.LIVE_TESTNET, "bench", "bench")
    broker = _AckTimer(connector)
    execution = ExecutionEngine(ExecutionConfig(), ClientOrderIdFactory(f"b{run}_{os.getpid()}"))
    orders = OrderManager(
        mode=TradingMode.LIVE_TESTNET,
        broker=broker,
        account=account,
        status=status,
        clock=lambda: datetime.now(UTC),
        store=store,
        run_id=run,
    )
    ticker = await connector.get_ticker(SYMBOL)
    acks: list[float] = []

    async def one(i: int) -> None:
        began = time.perf_counter()
        now = datetime.now(UTC)
        action = SignalAction.BUY if i % 2 == 0 else SignalAction.SELL
        held = portfolio.position(SYMBOL).quantity
        signal = Signal(
            action=action,
            symbol=SYMBOL,
            strategy_id="bench",
            candle_time=now,
            reason="bench",
            size_type=SizeType.FIXED_QUOTE if action is SignalAction.BUY else SizeType.FIXED_BASE,
            size_value=Decimal(20) if action is SignalAction.BUY else held,
        )
        snapshot = account.snapshot(now)
        assert risk.validate_signal(signal, snapshot) is not None
        price = ticker.ask if action is SignalAction.BUY else ticker.bid
        built = execution.build_order(
            signal,
            rules=rules,
            price=price,
            base_free=held,
            quote_free=portfolio.balance("USDT"),
            equity_quote=snapshot.equity_quote,
            now=now,
        )
        if not hasattr(built, "client_order_id"):
            raise RuntimeError(f"order not built: {built}")
        risk.validate_order(built, snapshot, reference_price=price)  # type: ignore[arg-type]
        result = await orders.submit(built)  # type: ignore[arg-type]
        acks.append(broker.acked_at - began)
        if not result.status.is_final:
            raise RuntimeError(f"order not final: {result}")

    try:
        recorded = await _timed(count, warmup, one)
        return acks[warmup:], recorded
    finally:
        await store.aclose()


async def _connector_only(connector: ExchangeConnector, count: int, warmup: int) -> list[float]:
    ids = ClientOrderIdFactory(f"c{os.getpid()}")

    async def one(i: int) -> None:
        side = Side.BUY if i % 2 == 0 else Side.SELL
        order = Order(
            client_order_id=ids.next(),
            symbol=SYMBOL,
            side=side,
            type=OrderType.MARKET,
            quantity=Decimal("0.0003"),
            created_at=datetime.now(UTC),
        )
        await connector.place_order(order)

    return await _timed(count, warmup, one)


async def _raw_ccxt(client: Any, count: int, warmup: int) -> list[float]:
    async def one(i: int) -> None:
        await client.create_order(SYMBOL, "market", "buy" if i % 2 == 0 else "sell", 0.0003)

    return await _timed(count, warmup, one)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    sim = start_simulator_process(
        speed=0, seed=1, balance={"USDT": "100000000", "BTC": "100"}, orders_per_10s=1_000_000
    )
    results: dict[str, Any] = {"benchmark": "order_path", "orders": args.orders}
    try:
        handle = sim.handle
        config = ConnectorConfig(base_url=handle.base_url, enable_client_rate_limit=False)
        secrets = StaticSecretsProvider(ExchangeCredentials(handle.api_key, handle.api_secret))
        async with ExchangeConnector(config, secrets) as connector:
            # Warm the whole pipeline first (a fresh simulator process, HTTP keep-alive, ccxt's
            # caches): otherwise the first measured series pays for it.
            await _connector_only(connector, args.warmup * 4, 0)
            with tempfile.TemporaryDirectory() as tmp:
                sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                ack, full = await _full_path(connector, sqlite_url, args.orders, args.warmup)
                results["signal_to_ack_sqlite"] = _percentiles(ack)
                results["signal_to_fill_recorded_sqlite"] = _percentiles(full)
            if args.postgres:
                with scratch_postgres_database(args.postgres) as pg_url:
                    ack_pg, full_pg = await _full_path(connector, pg_url, args.orders, args.warmup)
                results["signal_to_ack_postgres"] = _percentiles(ack_pg)
                results["signal_to_fill_recorded_postgres"] = _percentiles(full_pg)
            else:
                results["signal_to_ack_postgres"] = "skipped: pass --postgres URL"
            results["connector_place_order_only"] = _percentiles(
                await _connector_only(connector, args.orders, args.warmup)
            )
        client = ccxt_client(handle, async_=True)
        try:
            await client.load_markets()
            results["raw_ccxt_create_order"] = _percentiles(
                await _raw_ccxt(client, args.orders, args.warmup)
            )
        finally:
            await client.close()
    finally:
        sim.stop()
    sqlite = results["signal_to_ack_sqlite"]
    results["target_p50_ms"] = TARGET_P50_MS
    results["meets_target_sqlite"] = sqlite["p50_ms"] <= TARGET_P50_MS
    results["overhead_vs_raw_ccxt_p50_ms"] = round(
        sqlite["p50_ms"] - results["raw_ccxt_create_order"]["p50_ms"], 3
    )
    return results


def main() -> None:
    """Run and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("IMB_BENCH_DATABASE_URL", ""),
        help="PostgreSQL URL (empty: skip), e.g. postgresql+psycopg://postgres@127.0.0.1/test",
    )
    results = asyncio.run(main_async(parser.parse_args()))
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
