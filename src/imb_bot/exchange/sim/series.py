"""Base 1m OHLCV series of one symbol: CSV replay and/or seeded synthetic GBM, extended lazily.

The series starts at ``start_ms`` (a minute boundary) and is generated forward in one-day chunks
whenever the market clock needs a candle that does not exist yet. Every chunk is a pure function
of (seed, symbol, chunk index, previous close and regime), so a restart with the same seed, data
and anchor reproduces exactly the same prices.
"""

from __future__ import annotations

import csv
import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["MINUTE_MS", "CandleSeries", "CsvCandles", "SyntheticSource", "load_csv"]

MINUTE_MS = 60_000
CHUNK_CANDLES = 1440  # one day of 1m candles per generated chunk
SUBSTEPS = 4  # GBM sub-steps per candle (they make high/low)
MINUTES_PER_YEAR = 525_960.0
REGIME_VOL = np.array([0.45, 1.0, 2.2])  # calm, normal, volatile: multipliers of the base vol
REGIME_SWITCH_PROB = 1.0 / 360.0  # per minute: regimes last six hours on average

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Chunk:
    """Consecutive 1m candles (no timestamps: position in the series gives the open time)."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray


@dataclass(frozen=True, slots=True)
class CsvCandles:
    """Candles read from a CSV file, already checked and gap-filled (one per minute)."""

    first_open_ms: int
    chunk: Chunk


def _round_to_tick(values: FloatArray, tick: float) -> FloatArray:
    rounded: FloatArray = np.maximum(np.round(values / tick) * tick, tick)
    return rounded


class SyntheticSource:
    """Seeded geometric Brownian motion with a three-state volatility regime (Markov switching)."""

    def __init__(
        self,
        *,
        seed: int,
        symbol: str,
        start_price: float,
        annual_volatility: float,
        tick: float,
        level_qty: float,
        first_chunk_index: int = 0,
    ) -> None:
        self._seed = seed
        self._symbol_key = zlib.crc32(symbol.encode())
        self._price = start_price
        self._vol = annual_volatility
        self._tick = tick
        self._level_qty = level_qty
        self._regime = 1
        self._index = first_chunk_index

    def __iter__(self) -> Iterator[Chunk]:
        return self

    def __next__(self) -> Chunk:
        rng = np.random.default_rng([self._seed, self._symbol_key, self._index])
        self._index += 1
        n = CHUNK_CANDLES
        switches = rng.random(n) < REGIME_SWITCH_PROB
        offsets = rng.integers(1, 3, size=n)
        regimes = (self._regime + np.cumsum(np.where(switches, offsets, 0))) % 3
        self._regime = int(regimes[-1])
        sigma = self._vol * REGIME_VOL[regimes] * math.sqrt(1.0 / (MINUTES_PER_YEAR * SUBSTEPS))
        shocks = rng.standard_normal((n, SUBSTEPS)) * sigma[:, None] - 0.5 * (sigma**2)[:, None]
        log_path = math.log(self._price) + np.cumsum(shocks.ravel()).reshape(n, SUBSTEPS)
        path = _round_to_tick(np.exp(log_path), self._tick)
        close = path[:, -1]
        open_ = np.empty(n)
        open_[0] = _round_to_tick(np.array([self._price]), self._tick)[0]
        open_[1:] = close[:-1]
        high = np.maximum(open_, path.max(axis=1))
        low = np.minimum(open_, path.min(axis=1))
        moves = np.abs(np.log(close / open_)) / np.maximum(sigma, 1e-12)
        volume = np.round(
            self._level_qty
            * rng.lognormal(1.0, 0.6, n)
            * (1.0 + 0.5 * moves)
            * REGIME_VOL[regimes],
            6,
        )
        self._price = float(close[-1])
        return Chunk(open_, high, low, close, volume)


def load_csv(path: Path, tick: float | None = None) -> CsvCandles:
    """Read ``timestamp_ms,open,high,low,close,volume`` rows (header optional, 1m spacing).

    Gaps of whole minutes are filled with flat zero-volume candles at the previous close.

    Raises:
        ValueError: naming the file and line when a row is malformed, out of order, not on a
            one-minute grid, or has inconsistent prices.
    """
    rows: list[tuple[int, float, float, float, float, float]] = []
    with path.open(newline="") as handle:
        for line_no, record in enumerate(csv.reader(handle), start=1):
            if not record or not "".join(record).strip():
                continue
            if line_no == 1 and not record[0].strip().lstrip("-").isdigit():
                continue  # header
            if len(record) < 6:
                raise ValueError(f"{path}:{line_no}: expected 6 columns, got {len(record)}")
            try:
                ts = int(record[0])
                o, h, lo, c, v = (float(x) for x in record[1:6])
            except ValueError:
                raise ValueError(f"{path}:{line_no}: not numbers: {','.join(record)}") from None
            if min(o, h, lo, c) <= 0 or v < 0 or h < max(o, c) or lo > min(o, c):
                raise ValueError(f"{path}:{line_no}: inconsistent OHLCV {record[:6]}")
            if rows and (ts <= rows[-1][0] or (ts - rows[-1][0]) % MINUTE_MS):
                raise ValueError(
                    f"{path}:{line_no}: timestamp {ts} is not on the 1m grid after {rows[-1][0]}"
                )
            while rows and ts - rows[-1][0] > MINUTE_MS:
                prev = rows[-1]
                rows.append((prev[0] + MINUTE_MS, prev[4], prev[4], prev[4], prev[4], 0.0))
            rows.append((ts, o, h, lo, c, v))
    if len(rows) < 2:
        raise ValueError(f"{path}: needs at least 2 candles, found {len(rows)}")
    data = np.array([r[1:] for r in rows], dtype=np.float64)
    if tick is not None:
        data[:, :4] = _round_to_tick(data[:, :4], tick)
    return CsvCandles(
        first_open_ms=rows[0][0],
        chunk=Chunk(
            data[:, 0].copy(), data[:, 1].copy(), data[:, 2].copy(), data[:, 3].copy(),
            data[:, 4].copy(),
        ),
    )  # fmt: skip


def csv_volatility(chunk: Chunk) -> float:
    """Annualised volatility of 1m log returns (clipped to 5%–300%), for synthetic continuation."""
    returns = np.diff(np.log(chunk.close))
    vol = float(np.std(returns)) * math.sqrt(MINUTES_PER_YEAR) if returns.size > 1 else 0.6
    return min(max(vol, 0.05), 3.0)


class CandleSeries:
    """Growing arrays of 1m candles from ``start_ms``; cumulative sums make range sums O(1)."""

    def __init__(self, start_ms: int, chunks: Iterator[Chunk]) -> None:
        self.start_ms = start_ms
        self._chunks = chunks
        empty = np.empty(0)
        self.open = self.high = self.low = self.close = self.volume = empty
        self.quote_volume = empty
        self.trades: IntArray = np.empty(0, dtype=np.int64)
        # prefix sums with a leading 0: sum over [a, b) is cs[b] - cs[a]
        self.cum_volume = np.zeros(1)
        self.cum_quote_volume = np.zeros(1)
        self.cum_trades: IntArray = np.zeros(1, dtype=np.int64)
        self.size = 0
        self._append(next(self._chunks))

    @property
    def end_ms(self) -> int:
        """Open time of the first candle not generated yet."""
        return self.start_ms + self.size * MINUTE_MS

    def ensure(self, until_ms: int) -> None:
        """Generate candles until the one containing ``until_ms`` exists."""
        while self.end_ms <= until_ms:
            self._append(next(self._chunks))

    def index(self, t_ms: int) -> int:
        """Index of the candle containing ``t_ms`` (may be negative or beyond the end)."""
        return (t_ms - self.start_ms) // MINUTE_MS

    def _append(self, chunk: Chunk) -> None:
        typical = (chunk.open + chunk.high + chunk.low + chunk.close) / 4.0
        quote_volume = chunk.volume * typical
        trades = np.maximum(
            np.round(chunk.volume * 40.0 / max(float(chunk.volume.mean()), 1e-12)), 1
        )
        self.open = np.concatenate([self.open, chunk.open])
        self.high = np.concatenate([self.high, chunk.high])
        self.low = np.concatenate([self.low, chunk.low])
        self.close = np.concatenate([self.close, chunk.close])
        self.volume = np.concatenate([self.volume, chunk.volume])
        self.quote_volume = np.concatenate([self.quote_volume, quote_volume])
        self.trades = np.concatenate([self.trades, trades.astype(np.int64)])
        self.cum_volume = np.concatenate(
            [self.cum_volume, self.cum_volume[-1] + np.cumsum(chunk.volume)]
        )
        self.cum_quote_volume = np.concatenate(
            [self.cum_quote_volume, self.cum_quote_volume[-1] + np.cumsum(quote_volume)]
        )
        self.cum_trades = np.concatenate(
            [self.cum_trades, self.cum_trades[-1] + np.cumsum(trades.astype(np.int64))]
        )
        self.size = int(self.open.size)
