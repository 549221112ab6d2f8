"""Klines for all 16 Binance intervals, aggregated from the 1m base series, as JSON row strings.

Closed buckets are formatted once and cached per interval, so a 500-kline answer is a slice and a
join; only the forming bucket (the one containing the market clock) is computed per request.
``1s`` klines are cut from the straight-line intra-candle path (see :mod:`path`).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np

from imb_bot.exchange.sim.path import forming_candle, price_at
from imb_bot.exchange.sim.series import MINUTE_MS, CandleSeries, IntArray

__all__ = ["INTERVALS", "KlineBook", "bucket_start"]

DAY_MS = 86_400_000
WEEK_OFFSET_MS = 4 * DAY_MS  # 1970-01-05 was the first Monday: weekly klines open on Mondays
INTERVALS: dict[str, int] = {
    "1s": 1000,
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": 60 * MINUTE_MS,
    "2h": 120 * MINUTE_MS,
    "4h": 240 * MINUTE_MS,
    "6h": 360 * MINUTE_MS,
    "8h": 480 * MINUTE_MS,
    "12h": 720 * MINUTE_MS,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
    "1w": 7 * DAY_MS,
    "1M": 0,  # calendar months
}
ROW = '[%d,"%.8f","%.8f","%.8f","%.8f","%.8f",%d,"%.8f",%d,"%.8f","%.8f","0"]'


def _month_starts(times: IntArray) -> IntArray:
    months = times.astype("datetime64[ms]").astype("datetime64[M]")
    starts: IntArray = months.astype("datetime64[ms]").astype(np.int64)
    return starts


def _next_month(start_ms: int) -> int:
    month = np.datetime64(start_ms, "ms").astype("datetime64[M]") + np.timedelta64(1, "M")
    return int(month.astype("datetime64[ms]").astype(np.int64))


def bucket_start(interval: str, t_ms: int) -> int:
    """Open time of the ``interval`` bucket containing ``t_ms``."""
    size = INTERVALS[interval]
    if size == 0:
        return int(_month_starts(np.array([t_ms], dtype=np.int64))[0])
    offset = WEEK_OFFSET_MS if interval == "1w" else 0
    return t_ms - (t_ms - offset) % size


def bucket_end(interval: str, start_ms: int) -> int:
    """Open time of the bucket after the one opening at ``start_ms``."""
    size = INTERVALS[interval]
    return _next_month(start_ms) if size == 0 else start_ms + size


class _IntervalCache:
    # formatted rows of closed buckets of one interval, in time order
    def __init__(self) -> None:
        self.starts: list[int] = []
        self.rows: list[str] = []
        self.covered_until = 0  # base-candle index up to which buckets are cached
        self.joined: tuple[int, int, bytes] | None = None  # (lo, hi, rows[lo:hi] joined)


class KlineBook:
    """Kline answers for one symbol's series."""

    def __init__(self, series: CandleSeries) -> None:
        self._series = series
        self._caches: dict[str, _IntervalCache] = {}
        self._forming: dict[str, tuple[int, str]] = {}

    def rows(
        self,
        interval: str,
        now_ms: int,
        start_time: int | None,
        end_time: int | None,
        limit: int,
    ) -> list[str]:
        """Return kline rows (JSON arrays as text) with Binance's startTime/endTime/limit rules.

        Only buckets that have opened by ``now_ms`` exist; the last one may still be forming.
        """
        if interval == "1s":
            return self._second_rows(now_ms, start_time, end_time, limit)
        cache, lo, hi, forming_start = self._select(interval, now_ms, start_time, end_time, limit)
        out = cache.rows[lo:hi]
        if forming_start is not None:
            out = [*out, self._forming_row(interval, forming_start, now_ms)]
        return out

    def body(
        self,
        interval: str,
        now_ms: int,
        start_time: int | None,
        end_time: int | None,
        limit: int,
    ) -> bytes:
        """Return the ``/api/v3/klines`` answer as bytes, as :meth:`rows` would build it.

        The closed part is joined and encoded once per (interval, range) and reused while the
        range stays the same, so a poll for the latest 500 copies one buffer per request.
        """
        if interval == "1s":
            return (
                "[" + ",".join(self._second_rows(now_ms, start_time, end_time, limit)) + "]"
            ).encode()
        cache, lo, hi, forming_start = self._select(interval, now_ms, start_time, end_time, limit)
        if cache.joined is None or cache.joined[:2] != (lo, hi):
            cache.joined = (lo, hi, ",".join(cache.rows[lo:hi]).encode())
        closed = cache.joined[2]
        if forming_start is None:
            return b"[" + closed + b"]"
        forming = self._forming_row(interval, forming_start, now_ms).encode()
        return b"[" + closed + b"," + forming + b"]" if closed else b"[" + forming + b"]"

    def _select(
        self,
        interval: str,
        now_ms: int,
        start_time: int | None,
        end_time: int | None,
        limit: int,
    ) -> tuple[_IntervalCache, int, int, int | None]:
        # closed-row slice [lo, hi) of the cache, and the forming bucket's start if it is included
        self._series.ensure(now_ms)
        forming_start = bucket_start(interval, now_ms)
        cache = self._closed(interval, forming_start)
        starts = cache.starts
        n_closed = len(starts)
        total = n_closed + 1  # the forming bucket has index n_closed
        lo = 0 if start_time is None else bisect_left(starts, start_time)
        if start_time is not None and start_time > forming_start:
            lo = total
        hi = total if end_time is None else bisect_right(starts, end_time)
        if end_time is not None and end_time >= forming_start:
            hi = total
        if hi <= lo:
            return cache, 0, 0, None
        if start_time is None:
            lo = max(lo, hi - limit)
        else:
            hi = min(hi, lo + limit)
        return cache, lo, min(hi, n_closed), forming_start if hi == total else None

    def _closed(self, interval: str, forming_start: int) -> _IntervalCache:
        series = self._series
        cache = self._caches.get(interval)
        if cache is None:
            cache = self._caches[interval] = _IntervalCache()
        closed_until = max(min(series.index(forming_start), series.size), 0)
        if closed_until <= cache.covered_until:
            return cache
        a = cache.covered_until
        times = series.start_ms + MINUTE_MS * np.arange(a, closed_until, dtype=np.int64)
        if INTERVALS[interval] == 0:
            keys = _month_starts(times)
        else:
            size = INTERVALS[interval]
            offset = WEEK_OFFSET_MS if interval == "1w" else 0
            keys = times - (times - offset) % size
        firsts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        idx = firsts + a
        ends = np.r_[idx[1:], closed_until]
        highs = np.maximum.reduceat(series.high[a:closed_until], firsts)
        lows = np.minimum.reduceat(series.low[a:closed_until], firsts)
        for j, start_idx in enumerate(idx.tolist()):
            end_idx = int(ends[j])
            open_ms = int(keys[firsts[j]])
            if cache.starts and cache.starts[-1] == open_ms:
                # a bucket split across two cache updates cannot happen: updates stop at
                # bucket boundaries (forming_start), so this is only a safety net
                cache.starts.pop()
                cache.rows.pop()
            cache.starts.append(open_ms)
            cache.rows.append(
                self._row(
                    (open_ms, bucket_end(interval, open_ms) - 1),
                    (start_idx, end_idx),
                    (
                        float(series.open[start_idx]),
                        float(highs[j]),
                        float(lows[j]),
                        float(series.close[end_idx - 1]),
                    ),
                )
            )
        cache.covered_until = closed_until
        return cache

    def _row(
        self,
        times: tuple[int, int],
        span: tuple[int, int],
        ohlc: tuple[float, float, float, float],
        fraction: float = 0.0,
    ) -> str:
        # aggregated row (open/close time) over base candles [a, b) plus `fraction` of candle b
        open_ms, close_ms = times
        a, b = span
        o, h, lo, c = ohlc
        s = self._series
        volume = float(s.cum_volume[b] - s.cum_volume[a])
        quote = float(s.cum_quote_volume[b] - s.cum_quote_volume[a])
        trades = int(s.cum_trades[b] - s.cum_trades[a])
        if fraction > 0.0:
            volume += float(s.volume[b]) * fraction
            quote += float(s.quote_volume[b]) * fraction
            trades += int(float(s.trades[b]) * fraction)
        return ROW % (open_ms, o, h, lo, c, volume, close_ms, quote, trades, volume / 2, quote / 2)

    def _forming_row(self, interval: str, forming_start: int, now_ms: int) -> str:
        cached = self._forming.get(interval)
        if cached is not None and cached[0] == now_ms:
            return cached[1]
        s = self._series
        a = max(s.index(forming_start), 0)
        b = s.index(now_ms)
        current = forming_candle(s, now_ms)
        o = float(s.open[a]) if a < b else current.open
        h = max(float(s.high[a:b].max()), current.high) if a < b else current.high
        lo = min(float(s.low[a:b].min()), current.low) if a < b else current.low
        row = self._row(
            (forming_start, bucket_end(interval, forming_start) - 1),
            (a, b),
            (o, h, lo, current.close),
            current.fraction,
        )
        self._forming[interval] = (now_ms, row)
        return row

    def _second_rows(
        self, now_ms: int, start_time: int | None, end_time: int | None, limit: int
    ) -> list[str]:
        s = self._series
        s.ensure(now_ms)
        first = s.start_ms
        last = now_ms - now_ms % 1000  # the forming second
        if start_time is not None:
            lo = max(first, start_time + (-start_time) % 1000)
            hi = last if end_time is None else min(last, end_time - end_time % 1000)
            hi = min(hi, lo + (limit - 1) * 1000)
        else:
            hi = last if end_time is None else min(last, end_time - end_time % 1000)
            lo = max(first, hi - (limit - 1) * 1000)
        rows: list[str] = []
        for open_ms in range(lo, hi + 1, 1000):
            end = min(open_ms + 999, now_ms)
            o = price_at(s, open_ms)
            c = price_at(s, end)
            i = s.index(open_ms)
            share = (end - open_ms + 1) / MINUTE_MS
            volume = float(s.volume[i]) * share
            quote = float(s.quote_volume[i]) * share
            trades = int(s.trades[i] * share)
            rows.append(
                ROW
                % (open_ms, o, max(o, c), min(o, c), c, volume, open_ms + 999, quote, trades,
                   volume / 2, quote / 2)
            )  # fmt: skip
        return rows
