"""Intra-candle price path: the price at any millisecond and when a level is first crossed.

Inside each 1m candle the price moves in straight lines through four points, 20 s apart:
open → low → high → close for a rising candle, open → high → low → close for a falling one (the
usual backtesting assumption). Between candles it jumps from close to the next open (no jump in
synthetic data). Everything here is a pure function of a :class:`CandleSeries`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from imb_bot.exchange.sim.series import MINUTE_MS, CandleSeries

__all__ = ["SEGMENT_MS", "FormingCandle", "first_cross", "forming_candle", "price_at"]

SEGMENT_MS = MINUTE_MS // 3


@dataclass(frozen=True, slots=True)
class FormingCandle:
    """A 1m candle as seen part-way through it (``fraction`` of its minute elapsed)."""

    open: float
    high: float
    low: float
    close: float
    fraction: float


def _points(series: CandleSeries, i: int) -> tuple[float, float, float, float]:
    o = float(series.open[i])
    c = float(series.close[i])
    h = float(series.high[i])
    lo = float(series.low[i])
    return (o, lo, h, c) if c >= o else (o, h, lo, c)


def price_at(series: CandleSeries, t_ms: int) -> float:
    """Return the path price at ``t_ms`` (the series is extended if needed)."""
    series.ensure(t_ms)
    i = series.index(t_ms)
    if i < 0:
        return float(series.open[0])
    points = _points(series, i)
    offset = (t_ms - series.start_ms) - i * MINUTE_MS
    k, rest = divmod(offset, SEGMENT_MS)
    a = points[k]
    return a + (points[k + 1] - a) * (rest / SEGMENT_MS)


def forming_candle(series: CandleSeries, t_ms: int) -> FormingCandle:
    """Return the OHLC so far of the 1m candle containing ``t_ms``."""
    series.ensure(t_ms)
    i = series.index(t_ms)
    points = _points(series, i)
    offset = (t_ms - series.start_ms) - i * MINUTE_MS
    k = offset // SEGMENT_MS
    now = price_at(series, t_ms)
    seen = [*points[: k + 1], now]
    return FormingCandle(points[0], max(seen), min(seen), now, offset / MINUTE_MS)


def _segment_cross(
    a: tuple[float, float], b: tuple[float, float], level: float, falling: bool
) -> float | None:
    # first time in [t_a, t_b] where the straight line from v_a to v_b reaches the level
    t_a, v_a = a
    t_b, v_b = b
    if falling:
        if v_a <= level:
            return t_a
        if v_b > level:
            return None
    else:
        if v_a >= level:
            return t_a
        if v_b < level:
            return None
    return t_a + (v_a - level) / (v_a - v_b) * (t_b - t_a)


def _cross_in_candle(
    series: CandleSeries, i: int, window: tuple[int, int], level: float, *, falling: bool
) -> int | None:
    # earliest crossing inside candle i restricted to absolute times [lo_ms, hi_ms]
    lo_ms, hi_ms = window
    points = _points(series, i)
    open_ms = series.start_ms + i * MINUTE_MS
    for k in range(3):
        seg_a = open_ms + k * SEGMENT_MS
        seg_b = seg_a + SEGMENT_MS
        a = max(seg_a, lo_ms)
        b = min(seg_b, hi_ms)
        if a > b:
            continue
        slope = (points[k + 1] - points[k]) / SEGMENT_MS
        v_a = points[k] + slope * (a - seg_a)
        v_b = points[k] + slope * (b - seg_a)
        hit = _segment_cross((a, v_a), (b, v_b), level, falling)
        if hit is not None:
            return min(math.ceil(hit), hi_ms)
    return None


def first_cross(
    series: CandleSeries, t0_ms: int, t1_ms: int, level: float, falling: bool
) -> int | None:
    """Return the first time in (t0, t1] at which the price is ≤ level (falling) or ≥ level.

    Used to fill resting limit orders: a BUY at ``level`` fills when the price falls to it, a
    SELL when it rises to it. Returns None if the path does not reach the level.
    """
    if t1_ms <= t0_ms:
        return None
    series.ensure(t1_ms)
    start = t0_ms + 1
    i0 = max(series.index(start), 0)
    i1 = series.index(t1_ms)
    if i1 < 0:
        return None
    hit = _cross_in_candle(series, i0, (start, t1_ms), level, falling=falling)
    if hit is not None or i1 == i0:
        return hit
    if i1 - i0 > 1:
        extremes = series.low[i0 + 1 : i1] if falling else series.high[i0 + 1 : i1]
        reached = np.flatnonzero(extremes <= level if falling else extremes >= level)
        if reached.size:
            i = i0 + 1 + int(reached[0])
            return _cross_in_candle(
                series, i, (series.start_ms + i * MINUTE_MS, t1_ms), level, falling=falling
            )
    return _cross_in_candle(
        series, i1, (series.start_ms + i1 * MINUTE_MS, t1_ms), level, falling=falling
    )
