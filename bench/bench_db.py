"""Benchmark the store; print one JSON object (every comparison made in this run).

* ``write_path``: time to persist one order the way the order manager does: the intent (its own
  committed transaction, before sending), then fills + order state + position in one transaction
  (target p99 <= 5 ms), also with the submission result in between, and through ``AsyncStore``
  (the writer-thread hop the trading loop pays). SQLite file in WAL mode with synchronous FULL
  (the store's default) and NORMAL, and PostgreSQL when ``IMB_TEST_DATABASE_URL`` is set (a
  database is created for the run and dropped after).
* ``history_page``: ``GET /history/orders`` over 1,000,000 orders, in process through httpx's
  ASGI transport (target p99 <= 20 ms): first page and pages at random depths (keyset cursor),
  unfiltered and filtered, against two references measured in the same run: the raw keyset SQL
  of one page, and OFFSET pagination at the same depths.

Run: ``.venv/bin/python bench/bench_db.py`` (``--quick`` for a smoke run; ``--rows N``).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy
from sqlalchemy import create_engine, text

from imb_bot.api.app import create_app
from imb_bot.api.deps import Services
from imb_bot.api.server import freeze_startup_heap
from imb_bot.config import TradingMode, load_settings
from imb_bot.core.models import OrderStatus
from imb_bot.core.portfolio import Portfolio
from imb_bot.core.testing import btc_rules
from imb_bot.db import AsyncStore, Store
from imb_bot.db.bulk import bulk_insert_orders
from imb_bot.db.history import Cursor, encode_cursor
from imb_bot.db.migrate import upgrade_to_head
from imb_bot.db.testing import T0, make_fill, make_order, many_orders
from scratch_db import scratch_postgres_database

PAPER = TradingMode.PAPER
RULES = btc_rules()


def _ms(samples_s: list[float]) -> dict[str, float]:
    ordered = sorted(samples_s)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)

    return {
        "p50_ms": pick(0.50),
        "p99_ms": pick(0.99),
        "max_ms": round(ordered[-1] * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
        "n": len(ordered),
    }


@contextmanager
def _postgres_database() -> Iterator[str | None]:
    # A scratch database on the server of IMB_TEST_DATABASE_URL; None when it is not set.
    raw = os.environ.get("IMB_TEST_DATABASE_URL")
    if not raw:
        yield None
        return
    with scratch_postgres_database(raw) as url:
        yield url


# --- write path -------------------------------------------------------------------------------


def _one_order(store: Store, portfolio: Portfolio, i: int, *, submission: bool) -> None:
    # What the order manager writes for a market buy that fills at once (two fills).
    cid = f"bench-{i}"
    at = T0 + timedelta(seconds=i)
    store.record_intent(make_order(cid, created_at=at), PAPER, None)
    if submission:
        store.record_submission_result(cid, OrderStatus.OPEN, str(i), {"http_status": 200})
    fills = [
        make_fill(f"{i}a", cid, quantity="0.004", fee="0.000004", executed_at=at),
        make_fill(f"{i}b", cid, quantity="0.006", price="60010", fee="0.000006", executed_at=at),
    ]
    for fill in fills:
        portfolio.apply(fill)
    store.record_fills(
        cid,
        fills,
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.01"),
        average_price=Decimal("60006"),
        position_update=portfolio.position("BTC/USDT"),
        at=at,
    )


def _portfolio() -> Portfolio:
    return Portfolio(quote_asset="USDT", markets=[RULES], cash={"USDT": Decimal(10**12)})


def _write_path_on(url: str, n: int, warmup: int, synchronous: str = "FULL") -> dict[str, Any]:
    upgrade_to_head(url)
    store = Store.from_url(url, sqlite_synchronous=synchronous)
    portfolio = _portfolio()
    try:
        for i in range(warmup):
            _one_order(store, portfolio, -1 - i, submission=True)
        gc.collect()
        full, with_submission, intent_only, fills_only = [], [], [], []
        for i in range(n):
            start = time.perf_counter()
            _one_order(store, portfolio, 2 * i, submission=False)
            full.append(time.perf_counter() - start)
            start = time.perf_counter()
            _one_order(store, portfolio, 2 * i + 1, submission=True)
            with_submission.append(time.perf_counter() - start)
        for i in range(n):  # the two transactions of the full path, separately
            cid = f"split-{i}"
            start = time.perf_counter()
            store.record_intent(make_order(cid, created_at=T0), PAPER, None)
            intent_only.append(time.perf_counter() - start)
            fill = make_fill(f"s{i}", cid, fee="0.00001")
            portfolio.apply(fill)
            start = time.perf_counter()
            store.record_fills(
                cid,
                [fill],
                order_status=OrderStatus.FILLED,
                filled_quantity=fill.quantity,
                average_price=fill.price,
                position_update=portfolio.position("BTC/USDT"),
            )
            fills_only.append(time.perf_counter() - start)
        async_full = asyncio.run(_async_write_path(store, portfolio, n))
    finally:
        store.close()
    return {
        "intent_plus_fills_and_position": _ms(full),
        "intent_plus_submission_plus_fills_and_position": _ms(with_submission),
        "intent_only": _ms(intent_only),
        "fills_and_position_only": _ms(fills_only),
        "async_store_intent_plus_fills_and_position": _ms(async_full),
    }


async def _async_write_path(store: Store, portfolio: Portfolio, n: int) -> list[float]:
    async_store = AsyncStore(store)  # not closed: the caller closes the store
    samples = []
    for i in range(n):
        cid = f"async-{i}"
        fill = make_fill(f"as{i}", cid, fee="0.00001")
        portfolio.apply(fill)
        start = time.perf_counter()
        await async_store.record_intent(make_order(cid, created_at=T0), PAPER, None)
        await async_store.record_fills(
            cid,
            [fill],
            order_status=OrderStatus.FILLED,
            filled_quantity=fill.quantity,
            average_price=fill.price,
            position_update=portfolio.position("BTC/USDT"),
        )
        samples.append(time.perf_counter() - start)
    return samples


def bench_write_path(n: int, warmup: int, tmp: Path, postgres_url: str | None) -> dict[str, Any]:
    """Per-order write path on SQLite (FULL / NORMAL) and PostgreSQL."""
    result: dict[str, Any] = {
        "what": "per order: intent txn, then fills + order state + position txn (2 fills each)",
        "target_p99_ms": 5.0,
        "sqlite_wal_synchronous_full": _write_path_on(
            f"sqlite:///{tmp / 'write_full.sqlite3'}", n, warmup, "FULL"
        ),
        "sqlite_wal_synchronous_normal": _write_path_on(
            f"sqlite:///{tmp / 'write_normal.sqlite3'}", n, warmup, "NORMAL"
        ),
    }
    if postgres_url is None:
        result["postgresql"] = {"skipped": "IMB_TEST_DATABASE_URL is not set"}
    else:
        result["postgresql"] = _write_path_on(postgres_url, n, warmup)
    return result


# --- history page ------------------------------------------------------------------------------


def _seed(url: str, rows: int) -> float:
    upgrade_to_head(url)
    engine = create_engine(url)
    try:
        start = time.perf_counter()
        bulk_insert_orders(engine, many_orders(rows, prefix="o"), PAPER, batch_size=50_000)
        # A database in service has been vacuumed; without this, PostgreSQL's autovacuum of the
        # fresh million rows runs during the measurement (one of two cores) and sets its tail.
        vacuum = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(vacuum)
        return time.perf_counter() - start
    finally:
        engine.dispose()


def _time_requests(
    client_get: Callable[[dict[str, Any]], Any], params: list[dict[str, Any]]
) -> list[float]:
    samples = []
    for query in params:
        start = time.perf_counter()
        client_get(query)
        samples.append(time.perf_counter() - start)
    return samples


async def _api_latencies(store: Store, cases: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    settings = load_settings(environ={})
    app = create_app(settings, Services(settings=settings, store=store))
    transport = httpx.ASGITransport(app=app)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for query in next(iter(cases.values()))[:20]:  # warm-up
            (await client.get("/history/orders", params=query)).raise_for_status()
        for name, queries in cases.items():
            samples = []
            for query in queries:
                start = time.perf_counter()
                response = await client.get("/history/orders", params=query)
                samples.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text
            out[name] = _ms(samples)
    return out


def _history_on(url: str, rows: int, pages: int) -> dict[str, Any]:
    seed_s = _seed(url, rows)
    store = Store.from_url(url)
    rng = random.Random(7)
    # Keys of random rows = cursors of pages at random depths (as a client walking would hold).
    # many_orders: row i (id i + 1) is created at T0 + i s, minus 1 s for every third row.
    depths = [rng.randrange(1, rows) for _ in range(pages)]

    def cursor_at(depth: int) -> str:
        i = rows - depth  # the depth-th newest row, roughly
        at = T0 + timedelta(seconds=i - (1 if i % 3 == 2 else 0))
        return encode_cursor(Cursor(at=at, id=i + 1))

    cases: dict[str, list[dict[str, Any]]] = {
        "first_page_limit_100": [{} for _ in range(pages)],
        "random_depth_limit_100": [{"cursor": cursor_at(d)} for d in depths],
        "random_depth_limit_500": [{"cursor": cursor_at(d), "limit": 500} for d in depths],
        "random_depth_symbol_filter_limit_100": [
            {"cursor": cursor_at(d), "symbol": "BTC/USDT"} for d in depths
        ],
        "random_depth_mode_and_side_filter_limit_100": [
            {"cursor": cursor_at(d), "mode": "PAPER", "side": "SELL"} for d in depths
        ],
    }
    try:
        freeze_startup_heap()  # as the server does before serving
        api = asyncio.run(_api_latencies(store, cases))
        reference = _sql_references(store.engine, rows, depths)
    finally:
        store.close()
    return {"rows": rows, "seed_s": round(seed_s, 1), "api": api, "reference_sql": reference}


def _sql_references(engine: sqlalchemy.Engine, rows: int, depths: list[int]) -> dict[str, Any]:
    # Raw SQL through the driver: what one page costs the database alone, keyset vs OFFSET.
    keyset = text(
        "SELECT * FROM orders WHERE (created_at, id) < (:at, :id) "
        "ORDER BY created_at DESC, id DESC LIMIT 101"
    )
    offset = text("SELECT * FROM orders ORDER BY created_at DESC, id DESC LIMIT 101 OFFSET :n")
    out: dict[str, Any] = {}
    with engine.connect() as connection:
        # The key as stored: aware datetime on PostgreSQL, UTC text on SQLite.
        as_stored: Callable[[Any], Any] = (
            (lambda at: at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"))
            if engine.dialect.name == "sqlite"
            else (lambda at: at)
        )
        keyset_samples, offset_samples = [], []
        for depth in depths:
            i = rows - depth
            at = T0 + timedelta(seconds=i - (1 if i % 3 == 2 else 0))
            start = time.perf_counter()
            got = connection.execute(keyset, {"at": as_stored(at), "id": i + 1}).fetchall()
            keyset_samples.append(time.perf_counter() - start)
            assert len(got) == min(101, i), (len(got), i)
        for depth in depths[: max(5, len(depths) // 10)]:  # OFFSET is slow: fewer samples
            start = time.perf_counter()
            connection.execute(offset, {"n": depth}).fetchall()
            offset_samples.append(time.perf_counter() - start)
        deepest = max(depths)
        start = time.perf_counter()
        connection.execute(offset, {"n": deepest}).fetchall()
        out["offset_deepest_ms"] = {
            "offset": deepest,
            "ms": round((time.perf_counter() - start) * 1000, 3),
        }
    out["keyset_page_101_rows"] = _ms(keyset_samples)
    out["offset_page_101_rows_same_depths"] = _ms(offset_samples)
    return out


def bench_history_page(
    rows: int, pages: int, tmp: Path, postgres_url: str | None
) -> dict[str, Any]:
    """GET /history/orders latency over ``rows`` orders, with SQL references."""
    result: dict[str, Any] = {
        "what": "GET /history/orders in process (httpx ASGITransport), keyset cursor pages",
        "target_p99_ms": 20.0,
        "sqlite": _history_on(f"sqlite:///{tmp / 'history.sqlite3'}", rows, pages),
    }
    if postgres_url is None:
        result["postgresql"] = {"skipped": "IMB_TEST_DATABASE_URL is not set"}
    else:
        result["postgresql"] = _history_on(postgres_url, rows, pages)
    return result


def main() -> None:
    """Run every benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--rows", type=int, default=None, help="orders seeded for history")
    parser.add_argument(
        "--only", choices=("write_path", "history_page"), help="run one benchmark, not both"
    )
    args = parser.parse_args()
    writes, warmup, pages, rows = (200, 50, 50, 20_000) if args.quick else (2_000, 200, 300, 10**6)
    rows = args.rows or rows
    started = time.perf_counter()
    result: dict[str, Any] = {
        "benchmark": "bench_db",
        "python": sys.version.split()[0],
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite": __import__("sqlite3").sqlite_version,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    if args.only in (None, "write_path"):
        with (
            tempfile.TemporaryDirectory(prefix="bench_db_") as tmp,
            _postgres_database() as pg_write,
        ):
            result["write_path"] = bench_write_path(writes, warmup, Path(tmp), pg_write)
    if args.only in (None, "history_page"):
        with (
            tempfile.TemporaryDirectory(prefix="bench_db_") as tmp,
            _postgres_database() as pg_read,
        ):
            result["history_page"] = bench_history_page(rows, pages, Path(tmp), pg_read)
    if os.environ.get("IMB_TEST_DATABASE_URL"):
        result["postgresql_server"] = _server_version()
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["wall_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2))


def _server_version() -> str:
    engine = create_engine(os.environ["IMB_TEST_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return str(connection.exec_driver_sql("SHOW server_version").scalar())
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
