from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from imb_bot.exchange.sim.path import SEGMENT_MS, first_cross, forming_candle, price_at
from imb_bot.exchange.sim.series import MINUTE_MS, CandleSeries, Chunk, load_csv

START = 1_699_999_980_000


def _one_candle_series(o: float, h: float, lo: float, c: float) -> CandleSeries:
    def chunks() -> Iterator[Chunk]:
        flat = np.full(3, c)
        yield Chunk(
            np.array([o, c, c]), np.array([h, c, c]), np.array([lo, c, c]), flat, np.ones(3)
        )
        while True:
            yield Chunk(flat, flat, flat, flat, np.ones(3))

    return CandleSeries(START, chunks())


def test_price_at_when_rising_candle_goes_open_low_high_close() -> None:
    s = _one_candle_series(100.0, 110.0, 95.0, 105.0)

    assert price_at(s, START) == 100.0
    assert price_at(s, START + SEGMENT_MS) == 95.0
    assert price_at(s, START + 2 * SEGMENT_MS) == 110.0
    assert price_at(s, START + SEGMENT_MS // 2) == pytest.approx(97.5)


def test_price_at_when_falling_candle_goes_open_high_low_close() -> None:
    s = _one_candle_series(100.0, 110.0, 90.0, 95.0)

    assert price_at(s, START + SEGMENT_MS) == 110.0
    assert price_at(s, START + 2 * SEGMENT_MS) == 90.0


def test_forming_candle_when_part_way_reports_extremes_seen_so_far() -> None:
    s = _one_candle_series(100.0, 110.0, 95.0, 105.0)

    candle = forming_candle(s, START + SEGMENT_MS + SEGMENT_MS // 2)

    assert (candle.open, candle.low, candle.high) == (100.0, 95.0, 102.5)
    assert candle.close == 102.5
    assert candle.fraction == pytest.approx(0.5)


def test_first_cross_when_level_inside_a_segment_interpolates_the_time() -> None:
    s = _one_candle_series(100.0, 110.0, 95.0, 105.0)

    when = first_cross(s, START, START + MINUTE_MS, 97.5, falling=True)

    assert when == START + SEGMENT_MS // 2
    assert first_cross(s, START, START + MINUTE_MS, 108.0, falling=False) is not None


def test_first_cross_when_level_never_reached_returns_none() -> None:
    s = _one_candle_series(100.0, 110.0, 95.0, 105.0)

    assert first_cross(s, START, START + 3 * MINUTE_MS, 94.0, falling=True) is None
    assert first_cross(s, START + 10, START + 10, 200.0, falling=False) is None


def test_load_csv_when_header_and_gap_fills_flat_candles(tmp_path: Path) -> None:
    path = tmp_path / "btc.csv"
    path.write_text(
        "timestamp_ms,open,high,low,close,volume\n"
        "1700000040000,100,101,99,100.5,3\n"
        "1700000160000,100.5,102,100,101,2\n"
    )

    candles = load_csv(path)

    assert candles.first_open_ms == 1_700_000_040_000
    assert candles.chunk.close.tolist() == [100.5, 100.5, 101.0]
    assert candles.chunk.volume.tolist() == [3.0, 0.0, 2.0]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("1700000040000,100,101,99,100.5\n1700000100000,1,1,1,1,1\n", "expected 6 columns"),
        ("1700000040000,100,99,99,100.5,1\n1700000100000,1,1,1,1,1\n", "inconsistent OHLCV"),
        ("1700000040000,100,101,99,100,1\n1700000070000,1,1,1,1,1\n", "not on the 1m grid"),
        ("1700000040000,1,1,1,1,x\n", "not numbers"),
        ("1700000040000,1,1,1,1,1\n", "at least 2 candles"),
    ],
)
def test_load_csv_when_malformed_names_file_and_problem(
    tmp_path: Path, body: str, problem: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)

    with pytest.raises(ValueError, match=problem) as info:
        load_csv(path)

    assert "bad.csv" in str(info.value)
