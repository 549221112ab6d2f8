"""Benchmark the pure trading core; print one JSON object (every comparison made in this run).

* ``indicator_update``: O(1) RSI(14) + EMA(12) + EMA(26) update per candle against a TA-Lib
  recompute of a 500-candle window (targets: <= 1 us and >= 10x faster).
* ``vectorised``: ``core.indicators`` wrappers against raw TA-Lib on 1M values (<= 2x).
* ``core_decision``: strategy + risk + sizing per candle, no I/O, over 200k synthetic candles
  (target <= 5 us per candle): the backtest fast path (``on_close``) and the live path
  (``on_candle`` with Candle objects), plus the split between the HOLD path and the cost of a
  signal that goes through risk and order building.
* ``backtest_loop``: the same decision loop plus paper fills and portfolio accounting (info).

Timings are medians of interleaved rounds. Run: ``.venv/bin/python bench/bench_core.py``
(``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import talib

from imb_bot.core.decisions import APPROVED, Rejected
from imb_bot.core.execution import (
    ClientOrderIdFactory,
    build_order_from_signal,
    sellable_quantity,
)
from imb_bot.core.indicators import EMA, RSI, ema, rsi
from imb_bot.core.models import Candle, Side, Ticker
from imb_bot.core.paper import PaperFillConfig, fill_market_order
from imb_bot.core.portfolio import Portfolio
from imb_bot.core.risk import PositionExposure, RiskConfig, RiskManager, RiskSnapshot
from imb_bot.core.strategy import RsiEmaConfig, RsiEmaStrategy
from imb_bot.core.testing import T0, btc_rules, candles_from_closes, random_walk_closes

ZERO = Decimal(0)
RULES = btc_rules()
STRATEGY = RsiEmaConfig(symbol="BTC/USDT")  # RSI 14 < 30 buy, > 70 sell, 100 USDT per buy
RISK = RiskConfig(  # real rules, limits wide enough that the benchmark exercises order building
    max_trades_per_day=100_000,
    max_open_positions=3,
    max_daily_loss_quote=Decimal(10**9),
    max_position_notional_quote=Decimal(10**6),
    max_order_notional_quote=Decimal(10**6),
    min_trade_interval_s=60.0,
    max_orders_per_window=10,
    order_rate_window_s=10.0,
)


def _rounds(fn: Callable[[], float], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        gc.collect()
        out.append(fn())
    return out


def _summary(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples)}


# ----------------------------------------------------------------------- indicator update
def bench_indicator_update(rounds: int) -> dict[str, Any]:
    """O(1) classes vs TA-Lib recompute over a sliding 500-candle window."""
    closes = random_walk_closes(10_000, seed=7)
    history, stream = closes[:500], closes[500:].tolist()
    recompute_updates = 500

    def o1() -> float:
        r, fast, slow = RSI(14), EMA(12), EMA(26)
        for value in history.tolist():
            r.update(value)
            fast.update(value)
            slow.update(value)
        ru, fu, su = r.update, fast.update, slow.update
        start = time.perf_counter_ns()
        for value in stream:
            ru(value)
            fu(value)
            su(value)
        return (time.perf_counter_ns() - start) / len(stream) / 1000

    def recompute() -> float:
        window = history.copy()
        start = time.perf_counter_ns()
        for value in stream[:recompute_updates]:
            window[:-1] = window[1:]
            window[-1] = value
            talib.RSI(window, 14)[-1]
            talib.EMA(window, 12)[-1]
            talib.EMA(window, 26)[-1]
        return (time.perf_counter_ns() - start) / recompute_updates / 1000

    o1_samples, recompute_samples = [], []
    for _ in range(rounds):  # interleaved, so both see the same machine noise
        o1_samples += _rounds(o1, 1)
        recompute_samples += _rounds(recompute, 1)

    # Agreement on the full series (relative for EMA, absolute RSI points for RSI).
    r, fast, slow = RSI(14), EMA(12), EMA(26)
    inc = np.array([(r.update(v), fast.update(v), slow.update(v)) for v in closes.tolist()][30:])
    ref = np.column_stack([talib.RSI(closes, 14), talib.EMA(closes, 12), talib.EMA(closes, 26)])[
        30:
    ]
    o1_us = statistics.median(o1_samples)
    talib_us = statistics.median(recompute_samples)
    return {
        "what": "RSI(14)+EMA(12)+EMA(26) per new candle, 500-candle history",
        "o1_us_per_update": _summary(o1_samples),
        "talib_recompute_500_us_per_update": _summary(recompute_samples),
        "speedup_x": talib_us / o1_us,
        "speedup_x_of_min": min(recompute_samples) / min(o1_samples),
        "max_abs_diff_rsi_points": float(np.max(np.abs(inc[:, 0] - ref[:, 0]))),
        "max_rel_diff_ema": float(np.max(np.abs(inc[:, 1:] - ref[:, 1:]) / ref[:, 1:])),
        "target": "<= 1 us and >= 10x faster than recompute",
        "meets_target": o1_us <= 1.0 and talib_us / o1_us >= 10,
    }


# ----------------------------------------------------------------------------- vectorised
def bench_vectorised(rounds: int, n: int) -> dict[str, Any]:
    """Input-checking wrappers vs raw TA-Lib on a long series."""
    closes = random_walk_closes(n, seed=42)

    def wrapped() -> float:
        start = time.perf_counter_ns()
        rsi(closes, 14)
        ema(closes, 12)
        ema(closes, 26)
        return (time.perf_counter_ns() - start) / 1e6

    def raw() -> float:
        start = time.perf_counter_ns()
        talib.RSI(closes, 14)
        talib.EMA(closes, 12)
        talib.EMA(closes, 26)
        return (time.perf_counter_ns() - start) / 1e6

    wrapped_ms, raw_ms = [], []
    for _ in range(2 * rounds):  # cheap: more rounds against a noisy shared machine
        wrapped_ms += _rounds(wrapped, 1)
        raw_ms += _rounds(raw, 1)
    ratio = statistics.median(wrapped_ms) / statistics.median(raw_ms)
    return {
        "what": f"RSI(14)+EMA(12)+EMA(26) over {n} values",
        "wrapper_ms": _summary(wrapped_ms),
        "talib_ms": _summary(raw_ms),
        "ratio": ratio,
        "ratio_of_min": min(wrapped_ms) / min(raw_ms),  # less sensitive to a noisy neighbour
        "target": "<= 2x TA-Lib",
        "meets_target": ratio <= 2.0,
    }


# -------------------------------------------------------------------------- core decision
@dataclass
class _Account:
    # The minimal account state the decision loop keeps (what the engine's account does).
    quote_free: Decimal
    base_free: Decimal = ZERO
    position: Decimal = ZERO  # what the strategy is told: the sellable part of base_free
    trades: int = 0
    last_trade: datetime | None = None

    def snapshot(self, now: datetime, price: Decimal) -> RiskSnapshot:
        value = self.base_free * price
        positions = {"BTC/USDT": PositionExposure(self.base_free, value)} if self.position else {}
        return RiskSnapshot(
            now=now,
            equity_quote=self.quote_free + value,
            cash_quote=self.quote_free,
            positions=positions,
            trades_today=self.trades,
            last_trade_time={"BTC/USDT": self.last_trade} if self.last_trade else {},
            recent_order_times=(self.last_trade,) if self.last_trade else (),
        )


@dataclass
class _Outcome:
    signals: int = 0
    orders: int = 0
    rejections: int = 0


def _decide(
    signal: Any,
    *,
    now: datetime,
    close: float,
    account: _Account,
    risk: RiskManager,
    ids: ClientOrderIdFactory,
    outcome: _Outcome,
) -> Any:
    # Risk(signal) → build order → risk(order); Decimal only from here on.
    outcome.signals += 1
    price = Decimal(repr(close))
    snapshot = account.snapshot(now, price)
    if risk.validate_signal(signal, snapshot) is not APPROVED:
        outcome.rejections += 1
        return None
    order = build_order_from_signal(
        signal,
        rules=RULES,
        price=price,
        base_free=account.base_free,
        quote_free=account.quote_free,
        equity_quote=snapshot.equity_quote,
        ids=ids,
        now=now,
    )
    if isinstance(order, Rejected) or (
        risk.validate_order(order, snapshot, reference_price=price) is not APPROVED
    ):
        outcome.rejections += 1
        return None
    outcome.orders += 1
    account.trades += 1
    account.last_trade = now
    return order


def _book(order: Any, close: float, account: _Account) -> None:
    # Decision-only loop: assume the order filled at the reference price, no fees.
    price = Decimal(repr(close))
    if order.side is Side.BUY:
        account.base_free += order.quantity
        account.quote_free -= order.quantity * price
    else:
        account.base_free -= order.quantity
        account.quote_free += order.quantity * price
    account.position = account.base_free


def _fast_loop(times: list[datetime], closes: list[float], positions: list[Decimal]) -> _Outcome:
    strategy, risk = RsiEmaStrategy(STRATEGY), RiskManager(RISK)
    ids, account, outcome = ClientOrderIdFactory("bench"), _Account(Decimal(10_000)), _Outcome()
    on_close = strategy.on_close
    positions.clear()
    record = positions.append
    for now, close in zip(times, closes, strict=True):
        position = account.position
        record(position)
        signal = on_close(now, close, position)
        if signal is not None:
            order = _decide(
                signal, now=now, close=close, account=account, risk=risk, ids=ids, outcome=outcome
            )
            if order is not None:
                _book(order, close, account)
    return outcome


def _strategy_only(times: list[datetime], closes: list[float], positions: list[Decimal]) -> int:
    # Same strategy calls and positions as the full loop, without risk and sizing.
    on_close = RsiEmaStrategy(STRATEGY).on_close
    signals = 0
    for now, close, position in zip(times, closes, positions, strict=True):
        if on_close(now, close, position) is not None:
            signals += 1
    return signals


def _live_loop(candles: list[Candle]) -> _Outcome:
    strategy, risk = RsiEmaStrategy(STRATEGY), RiskManager(RISK)
    ids, account, outcome = ClientOrderIdFactory("bench"), _Account(Decimal(10_000)), _Outcome()
    on_candle = strategy.on_candle
    for candle in candles:
        signal = on_candle(candle, account.position)
        if signal.action.value != "HOLD":
            close = float(candle.close)
            order = _decide(
                signal,
                now=candle.time,
                close=close,
                account=account,
                risk=risk,
                ids=ids,
                outcome=outcome,
            )
            if order is not None:
                _book(order, close, account)
    return outcome


def bench_core_decision(rounds: int, n: int) -> dict[str, Any]:
    """Per-candle cost of indicator update + strategy + risk + sizing."""
    closes = random_walk_closes(n, seed=7).tolist()
    times = [T0 + timedelta(minutes=i) for i in range(n)]
    candles = candles_from_closes(closes)
    positions: list[Decimal] = []
    outcome = _Outcome()

    def fast() -> float:
        nonlocal outcome
        start = time.perf_counter_ns()
        outcome = _fast_loop(times, closes, positions)
        return (time.perf_counter_ns() - start) / n / 1000

    def strategy_only() -> float:
        start = time.perf_counter_ns()
        _strategy_only(times, closes, positions)
        return (time.perf_counter_ns() - start) / n / 1000

    def live() -> float:
        start = time.perf_counter_ns()
        _live_loop(candles)
        return (time.perf_counter_ns() - start) / n / 1000

    fast_us, strategy_us, live_us = [], [], []
    for _ in range(rounds):
        fast_us += _rounds(fast, 1)
        strategy_us += _rounds(strategy_only, 1)
        live_us += _rounds(live, 1)
    live_outcome = _live_loop(candles)
    same = (live_outcome.signals, live_outcome.orders) == (outcome.signals, outcome.orders)
    per_candle = statistics.median(fast_us)
    hold_path = statistics.median(strategy_us)
    per_signal = (per_candle - hold_path) * n / max(outcome.signals, 1)
    return {
        "what": f"{n} one-minute candles, RSI/EMA update + rsi_ema + risk + sizing, no I/O",
        "candles": n,
        "signals": outcome.signals,
        "orders": outcome.orders,
        "rejected": outcome.rejections,
        "fast_path_us_per_candle": _summary(fast_us),
        "strategy_only_us_per_candle": _summary(strategy_us),
        "risk_and_sizing_us_per_signal": per_signal,
        "live_path_us_per_candle": _summary(live_us),
        "live_and_fast_paths_agree": same,
        "target": "<= 5 us per candle",
        "meets_target": per_candle <= 5.0 and statistics.median(live_us) <= 5.0,
    }


# --------------------------------------------------------------------------- backtest loop
def bench_backtest_loop(rounds: int, n: int) -> dict[str, Any]:
    """Decision loop plus paper fills and Decimal portfolio accounting (information only)."""
    closes = random_walk_closes(n, seed=7).tolist()
    times = [T0 + timedelta(minutes=i) for i in range(n)]
    paper = PaperFillConfig()
    trades = 0

    def run() -> float:
        nonlocal trades
        strategy, risk = RsiEmaStrategy(STRATEGY), RiskManager(RISK)
        ids, account, outcome = ClientOrderIdFactory("bt"), _Account(Decimal(10_000)), _Outcome()
        portfolio = Portfolio(
            quote_asset="USDT", markets=[RULES], cash={"USDT": account.quote_free}
        )
        on_close = strategy.on_close
        start = time.perf_counter_ns()
        for now, close in zip(times, closes, strict=True):
            signal = on_close(now, close, account.position)
            if signal is None:
                continue
            order = _decide(
                signal, now=now, close=close, account=account, risk=risk, ids=ids, outcome=outcome
            )
            if order is None:
                continue
            price = Decimal(repr(close))
            ticker = Ticker("BTC/USDT", price, price, price, now)
            for fill in fill_market_order(order, ticker, rules=RULES, config=paper):
                portfolio.apply(fill)
            # The strategy is told the sellable quantity: fee dust counts as flat.
            account.base_free = portfolio.balance("BTC")
            account.quote_free = portfolio.balance("USDT")
            account.position = sellable_quantity(account.base_free, RULES, price)
        trades = outcome.orders
        return n / ((time.perf_counter_ns() - start) / 1e9)

    samples = _rounds(run, rounds)
    return {
        "what": "decision loop + paper market fills + portfolio.apply (fees 10 bps, slip 5 bps)",
        "candles": n,
        "trades": trades,
        "candles_per_s": _summary(samples),
    }


def main() -> None:
    """Run every benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    rounds, n_decision, n_vector = (2, 20_000, 100_000) if args.quick else (7, 200_000, 1_000_000)
    started = time.perf_counter()
    result = {
        "benchmark": "bench_core",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "talib": talib.__version__,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "rounds": rounds,
        "indicator_update": bench_indicator_update(rounds),
        "vectorised": bench_vectorised(rounds, n_vector),
        "core_decision": bench_core_decision(max(rounds - 2, 1), n_decision),
        "backtest_loop": bench_backtest_loop(max(rounds - 4, 1), n_decision),
    }
    result["wall_s"] = time.perf_counter() - started
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
