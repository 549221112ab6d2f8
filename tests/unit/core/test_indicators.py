"""Indicators: vectorised and incremental RSI/EMA against TA-Lib."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
import talib
from hypothesis import given, settings
from hypothesis import strategies as st

from imb_bot.core.indicators import EMA, RSI, ema, rsi

RTOL = 1e-9


def _random_walk(n: int, seed: int) -> npt.NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    return 30_000.0 + np.cumsum(rng.normal(0.0, 25.0, n))


def _incremental(indicator: EMA | RSI, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out = np.full(values.size, np.nan)
    for i, value in enumerate(values.tolist()):
        result = indicator.update(value)
        if result is not None:
            out[i] = result
    return out


def _assert_same(actual: npt.NDArray[np.float64], expected: npt.NDArray[np.float64]) -> None:
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=0.0, equal_nan=True)


@pytest.fixture(scope="module")
def walk() -> npt.NDArray[np.float64]:
    return _random_walk(100_000, seed=42)


@pytest.mark.parametrize("period", [2, 12, 26])
def test_ema_when_random_walk_100k_equals_talib(walk: npt.NDArray[np.float64], period: int) -> None:
    # Act
    vectorised = ema(walk, period)
    incremental = _incremental(EMA(period), walk)

    # Assert
    expected = talib.EMA(walk, timeperiod=period)
    _assert_same(vectorised, expected)
    _assert_same(incremental, expected)
    assert np.isnan(incremental[: period - 1]).all()
    assert not np.isnan(incremental[period - 1 :]).any()


@pytest.mark.parametrize("period", [2, 14])
def test_rsi_when_random_walk_100k_equals_talib(walk: npt.NDArray[np.float64], period: int) -> None:
    # Act
    vectorised = rsi(walk, period)
    incremental = _incremental(RSI(period), walk)

    # Assert
    expected = talib.RSI(walk, timeperiod=period)
    _assert_same(vectorised, expected)
    _assert_same(incremental, expected)
    assert np.isnan(incremental[:period]).all()
    assert not np.isnan(incremental[period:]).any()


def test_rsi_when_series_is_flat_is_zero_like_talib() -> None:
    # Arrange: gain + loss == 0, which TA-Lib reports as 0.0 (not 50)
    values = np.full(30, 100.0)

    # Act
    incremental = _incremental(RSI(14), values)

    # Assert
    _assert_same(incremental, talib.RSI(values, timeperiod=14))
    assert incremental[14] == 0.0


def test_rsi_when_series_only_rises_is_hundred() -> None:
    # Arrange
    values = np.arange(1.0, 40.0)

    # Act
    result = rsi(values, 14)

    # Assert
    assert result[14:].tolist() == [100.0] * (values.size - 14)


@settings(max_examples=60, deadline=None)
@given(
    closes=st.lists(
        st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False),
        min_size=0,
        max_size=120,
    ),
    period=st.integers(min_value=2, max_value=30),
)
def test_incremental_when_any_series_equals_vectorised(closes: list[float], period: int) -> None:
    # Arrange
    values = np.asarray(closes, dtype=np.float64)

    # Act
    ema_inc = _incremental(EMA(period), values)
    rsi_inc = _incremental(RSI(period), values)

    # Assert: RSI near 0 compares absolutely, as TA-Lib's own rounding of tiny moves does
    _assert_same(ema_inc, ema(values, period))
    expected_rsi = rsi(values, period)
    np.testing.assert_array_equal(np.isnan(rsi_inc), np.isnan(expected_rsi))
    np.testing.assert_allclose(rsi_inc, expected_rsi, rtol=RTOL, atol=1e-9, equal_nan=True)


def test_update_when_warming_up_returns_none_and_value_is_none() -> None:
    # Arrange
    indicator = EMA(3)

    # Act
    first, second, third = indicator.update(1.0), indicator.update(2.0), indicator.update(6.0)

    # Assert
    assert (first, second) == (None, None)
    assert third == 3.0
    assert indicator.value == 3.0
    assert indicator.period == 3


def test_vectorised_when_shorter_than_warm_up_returns_all_nan() -> None:
    # Act
    short_ema = ema([1.0, 2.0], 3)
    short_rsi = rsi([1.0, 2.0, 3.0], 3)
    empty = rsi(np.array([], dtype=np.float64), 14)

    # Assert
    assert np.isnan(short_ema).all() and short_ema.size == 2
    assert np.isnan(short_rsi).all() and short_rsi.size == 3
    assert empty.size == 0


def test_vectorised_when_given_int_list_converts_to_float() -> None:
    # Act
    result = ema([1, 2, 3, 4], 2)

    # Assert
    np.testing.assert_array_equal(result, talib.EMA(np.array([1.0, 2.0, 3.0, 4.0]), 2))


@pytest.mark.parametrize(
    ("period", "error", "match"),
    [
        (1, ValueError, "period must be >= 2, got 1"),
        (0, ValueError, "period must be >= 2, got 0"),
        (2.5, TypeError, "period must be an int >= 2, got 2.5"),
        (True, TypeError, "period must be an int >= 2, got True"),
        ("14", TypeError, "period must be an int >= 2, got '14'"),
    ],
)
def test_indicators_when_period_invalid_raise_naming_the_value(
    period: object, error: type[Exception], match: str
) -> None:
    # Act / Assert
    for build in (
        lambda: ema(np.ones(30), period),  # type: ignore[arg-type]
        lambda: rsi(np.ones(30), period),  # type: ignore[arg-type]
        lambda: EMA(period),  # type: ignore[arg-type]
        lambda: RSI(period),  # type: ignore[arg-type]
    ):
        with pytest.raises(error, match=match):
            build()


@pytest.mark.parametrize(
    ("values", "error", "match"),
    [
        (np.ones((5, 2)), ValueError, "values must be a 1-D array, got 2-D with shape \\(5, 2\\)"),
        (np.array(["a", "b"]), TypeError, "values must be real numbers .* got dtype <U1"),
        (np.array([True, False]), TypeError, "got dtype bool"),
        (np.array([1.0, np.nan, 3.0]), ValueError, "values must be finite, got nan at index 1"),
        (np.array([1.0, 2.0, -np.inf]), ValueError, "got -inf at index 2"),
        (5.0, ValueError, "values must be a 1-D array, got 0-D"),
    ],
)
def test_vectorised_when_values_invalid_raise_clear_error(
    values: object, error: type[Exception], match: str
) -> None:
    # Act / Assert
    with pytest.raises(error, match=match):
        ema(values, 3)  # type: ignore[arg-type]
    with pytest.raises(error, match=match):
        rsi(values, 3)  # type: ignore[arg-type]


def test_vectorised_when_huge_finite_values_overflow_sum_still_computes() -> None:
    # Arrange: the finite-check shortcut (one sum) overflows, the element check must pass
    values = np.full(10, 1e308)

    # Act
    result = ema(values, 3)

    # Assert
    np.testing.assert_array_equal(result, talib.EMA(values, 3))
