"""RSI and EMA: vectorised (TA-Lib) over numpy arrays, and O(1) incremental classes.

Both paths produce the same numbers. TA-Lib seeds each average with a simple mean:

* ``EMA(period)``: the first value is the mean of the first ``period`` inputs, at index
  ``period - 1``; then ``ema += (x - ema) * k`` with ``k = 2 / (period + 1)``.
* ``RSI(period)``: Wilder's smoothing of gains and losses, seeded with the means of the first
  ``period`` deltas, so the first value is at index ``period``; then
  ``avg = (avg * (period - 1) + x) / period``. RSI is ``100 * gain / (gain + loss)``, and
  ``0.0`` when ``gain + loss`` is below ``1e-8`` (TA-Lib's ``TA_IS_ZERO``, e.g. a flat series).

Indicators work in float64; money stays Decimal elsewhere.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
import talib

__all__ = ["EMA", "RSI", "ema", "rsi"]

MIN_PERIOD: Final = 2
_TA_EPSILON: Final = 1e-8  # TA-Lib's TA_IS_ZERO threshold

FloatArray = npt.NDArray[np.float64]


def _check_period(period: object) -> int:
    # bool is an int subclass; refuse it so that `ema(x, True)` is not a period of 1.
    if isinstance(period, bool) or not isinstance(period, int | np.integer):
        raise TypeError(f"period must be an int >= {MIN_PERIOD}, got {period!r}")
    if period < MIN_PERIOD:
        raise ValueError(f"period must be >= {MIN_PERIOD}, got {period}")
    return int(period)


def _as_series(values: npt.ArrayLike) -> FloatArray:
    # Accept any 1-D real array-like; refuse bool/complex/object data and non-finite values.
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"values must be a 1-D array, got {arr.ndim}-D with shape {arr.shape}")
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"values must be real numbers (float or int), got dtype {arr.dtype}")
    series = np.ascontiguousarray(arr, dtype=np.float64)
    # One sum is cheaper than an element-wise mask; only look closer when it is not finite.
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.add.reduce(series))
    if not math.isfinite(total):
        bad = np.flatnonzero(~np.isfinite(series))
        if bad.size:
            index = int(bad[0])
            raise ValueError(f"values must be finite, got {float(series[index])} at index {index}")
    return series


def ema(values: npt.ArrayLike, period: int) -> FloatArray:
    """Return the EMA of ``values``, aligned with the input, NaN for the first ``period - 1``.

    Raises ``TypeError``/``ValueError`` for a period that is not an int >= 2, input that is not
    a 1-D array of real numbers, or a NaN/inf value.
    """
    period = _check_period(period)
    series = _as_series(values)
    if series.size < period:
        return np.full(series.size, np.nan)
    out: FloatArray = talib.EMA(series, timeperiod=period)
    return out


def rsi(values: npt.ArrayLike, period: int) -> FloatArray:
    """Return the RSI (0-100) of ``values``, aligned with the input, NaN for the first ``period``.

    Raises like :func:`ema`.
    """
    period = _check_period(period)
    series = _as_series(values)
    if series.size <= period:
        return np.full(series.size, np.nan)
    out: FloatArray = talib.RSI(series, timeperiod=period)
    return out


class EMA:
    """O(1) exponential moving average, seeded like TA-Lib with the mean of the first values."""

    __slots__ = ("_count", "_k", "_period", "_sum", "_value")

    def __init__(self, period: int) -> None:
        self._period = _check_period(period)
        self._k = 2.0 / (self._period + 1)
        self._count = 0
        self._sum = 0.0
        self._value: float | None = None

    @property
    def period(self) -> int:
        """Number of values averaged."""
        return self._period

    @property
    def value(self) -> float | None:
        """Latest EMA, or None during warm-up."""
        return self._value

    def update(self, value: float) -> float | None:
        """Add the next value; return the EMA, or None for the first ``period - 1`` values."""
        prev = self._value
        if prev is not None:
            prev = (value - prev) * self._k + prev
            self._value = prev
            return prev
        self._count += 1
        self._sum += value
        if self._count < self._period:
            return None
        prev = self._sum / self._period
        self._value = prev
        return prev


class RSI:
    """O(1) Wilder RSI (0-100), seeded like TA-Lib with the mean of the first ``period`` deltas."""

    __slots__ = ("_count", "_gain", "_loss", "_period", "_period_f", "_prev", "_value", "_weight")

    def __init__(self, period: int) -> None:
        self._period = _check_period(period)
        self._period_f = float(self._period)
        self._weight = float(self._period - 1)
        self._count = 0  # deltas seen, until the seed is complete
        self._gain = 0.0  # average gain (sum of gains while seeding)
        self._loss = 0.0  # average loss (sum of losses while seeding)
        self._prev: float | None = None
        self._value: float | None = None

    @property
    def period(self) -> int:
        """Number of deltas in Wilder's smoothing."""
        return self._period

    @property
    def value(self) -> float | None:
        """Latest RSI, or None during warm-up."""
        return self._value

    def update(self, value: float) -> float | None:
        """Add the next value; return the RSI, or None for the first ``period`` values."""
        prev = self._prev
        self._prev = value
        if self._value is not None:
            # Steady state, same operation order as TA-Lib: multiply, add today's move, divide.
            delta = value - prev  # type: ignore[operator]  # prev is set once a value exists
            if delta < 0.0:
                gain = self._gain * self._weight / self._period_f
                loss = (self._loss * self._weight - delta) / self._period_f
            else:
                gain = (self._gain * self._weight + delta) / self._period_f
                loss = self._loss * self._weight / self._period_f
        else:
            if prev is None:
                return None
            delta = value - prev
            if delta < 0.0:
                self._loss -= delta
            else:
                self._gain += delta
            self._count += 1
            if self._count < self._period:
                return None
            gain = self._gain / self._period_f
            loss = self._loss / self._period_f
        self._gain = gain
        self._loss = loss
        total = gain + loss  # never negative
        result = 0.0 if total < _TA_EPSILON else 100.0 * (gain / total)
        self._value = result
        return result
