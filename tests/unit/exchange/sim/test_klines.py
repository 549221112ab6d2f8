import json
from datetime import UTC, datetime

import numpy as np
import pytest

from imb_bot.exchange.sim.klines import INTERVALS, KlineBook, bucket_start
from imb_bot.exchange.sim.path import price_at
from imb_bot.exchange.sim.series import MINUTE_MS, CandleSeries, SyntheticSource

START = 1_700_000_000_000 - 1_700_000_000_000 % 86_400_000  # a midnight UTC
HISTORY = 3 * 1440


def _series(seed: int = 3) -> CandleSeries:
    source = SyntheticSource(
        seed=seed,
        symbol="BTCUSDT",
        start_price=60000.0,
        annual_volatility=0.6,
        tick=0.01,
        level_qty=0.5,
    )
    return CandleSeries(START, source)


def _rows(book: KlineBook, interval: str, now: int, **kw: int) -> list[list[object]]:
    rows = book.rows(interval, now, kw.get("start"), kw.get("end"), kw.get("limit", 500))
    return [json.loads(row) for row in rows]


NOW = START + HISTORY * MINUTE_MS + 25_000  # 25 s into the forming minute


def test_rows_when_no_range_given_returns_latest_limit_ending_with_forming_candle() -> None:
    series = _series()
    rows = _rows(KlineBook(series), "1m", NOW)

    assert len(rows) == 500
    assert rows[-1][0] == NOW - 25_000
    assert rows[-2][0] == NOW - 25_000 - MINUTE_MS
    assert float(str(rows[-1][4])) == pytest.approx(price_at(series, NOW), abs=1e-8)
    opens = [int(str(r[0])) for r in rows]
    assert opens == list(range(opens[0], opens[-1] + 1, MINUTE_MS))


def test_rows_when_closed_minute_matches_series_values_in_binance_layout() -> None:
    series = _series()
    row = _rows(KlineBook(series), "1m", NOW, start=START, limit=1)[0]

    assert len(row) == 12
    assert row[0] == START and row[6] == START + MINUTE_MS - 1
    assert row[1:5] == [f"{series.open[0]:.8f}", f"{series.high[0]:.8f}",
                        f"{series.low[0]:.8f}", f"{series.close[0]:.8f}"]  # fmt: skip
    assert all(isinstance(v, str) for v in row[1:6]) and row[11] == "0"


def test_rows_when_start_time_given_returns_oldest_first_from_there() -> None:
    rows = _rows(KlineBook(_series()), "1m", NOW, start=START + 10 * MINUTE_MS + 1, limit=3)

    assert [r[0] for r in rows] == [START + m * MINUTE_MS for m in (11, 12, 13)]


def test_rows_when_paging_by_last_open_plus_one_returns_contiguous_pages() -> None:
    book = KlineBook(_series())
    first = _rows(book, "1m", NOW, start=START, limit=1000)
    second = _rows(book, "1m", NOW, start=int(str(first[-1][0])) + 1, limit=1000)

    assert len(first) == len(second) == 1000
    assert second[0][0] == int(str(first[-1][0])) + MINUTE_MS


def test_rows_when_end_time_given_returns_latest_up_to_it() -> None:
    end = START + 100 * MINUTE_MS + 5
    rows = _rows(KlineBook(_series()), "1m", NOW, end=end, limit=5)

    assert [r[0] for r in rows] == [START + m * MINUTE_MS for m in range(96, 101)]


def test_rows_when_range_after_now_returns_nothing() -> None:
    assert _rows(KlineBook(_series()), "1m", NOW, start=NOW + MINUTE_MS) == []


@pytest.mark.parametrize("interval", ["3m", "5m", "15m", "1h", "4h", "1d"])
def test_rows_when_interval_coarser_aggregates_the_minutes(interval: str) -> None:
    series = _series()
    book = KlineBook(series)
    size = INTERVALS[interval] // MINUTE_MS
    row = _rows(book, interval, NOW, start=START + INTERVALS[interval], limit=1)[0]
    a = size
    b = 2 * size

    assert row[0] == START + INTERVALS[interval]
    assert float(str(row[1])) == pytest.approx(series.open[a])
    assert float(str(row[2])) == pytest.approx(series.high[a:b].max())
    assert float(str(row[3])) == pytest.approx(series.low[a:b].min())
    assert float(str(row[4])) == pytest.approx(series.close[b - 1])
    assert float(str(row[5])) == pytest.approx(series.volume[a:b].sum(), rel=1e-9)


def test_rows_when_weekly_opens_on_monday_and_monthly_on_the_first() -> None:
    book = KlineBook(_series())
    weekly = _rows(book, "1w", NOW, limit=10)
    monthly = _rows(book, "1M", NOW, limit=10)

    for row in weekly:
        assert datetime.fromtimestamp(int(str(row[0])) / 1000, UTC).weekday() == 0
    for row in monthly:
        opened = datetime.fromtimestamp(int(str(row[0])) / 1000, UTC)
        assert (opened.day, opened.hour, opened.minute) == (1, 0, 0)
    assert int(str(monthly[-1][6])) > NOW


def test_rows_when_one_second_interval_follows_the_path() -> None:
    series = _series()
    rows = _rows(KlineBook(series), "1s", NOW, limit=30)

    assert len(rows) == 30
    assert rows[-1][0] == NOW - NOW % 1000
    assert [int(str(r[0])) for r in rows] == list(
        range(int(str(rows[0][0])), int(str(rows[-1][0])) + 1, 1000)
    )
    assert float(str(rows[0][1])) == pytest.approx(price_at(series, int(str(rows[0][0]))))


def test_rows_when_clock_moves_past_forming_minute_it_becomes_closed_and_cached() -> None:
    series = _series()
    book = KlineBook(series)
    before = book.rows("1m", NOW, None, None, 500)
    later = NOW + 2 * MINUTE_MS

    after = book.rows("1m", later, None, None, 500)
    again = book.rows("1m", later, None, None, 500)

    closed = json.loads(after[-3])
    assert closed[0] == json.loads(before[-1])[0]
    assert float(closed[4]) == pytest.approx(series.close[HISTORY])
    assert all(x is y for x, y in zip(after[:-1], again[:-1], strict=True))  # served from cache


def test_bucket_start_when_every_interval_contains_the_time() -> None:
    t = NOW + 123_456
    for interval in INTERVALS:
        start = bucket_start(interval, t)
        assert start <= t
        if INTERVALS[interval]:
            assert t - start < INTERVALS[interval]


def test_series_when_same_seed_reproduces_and_other_seed_differs() -> None:
    a, b, c = _series(1), _series(1), _series(2)

    assert np.array_equal(a.close, b.close)
    assert not np.array_equal(a.close, c.close)


def test_series_when_generated_keeps_ohlc_consistent_on_the_tick_grid() -> None:
    s = _series()
    s.ensure(START + 5 * 1440 * MINUTE_MS)

    assert s.size >= 5 * 1440
    assert np.all(s.high >= np.maximum(s.open, s.close))
    assert np.all(s.low <= np.minimum(s.open, s.close))
    assert np.all(s.low > 0)
    assert np.array_equal(s.open[1:], s.close[:-1])
    assert np.allclose(np.round(s.close * 100), s.close * 100)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"limit": 3},
        {"start": START + 7 * MINUTE_MS, "limit": 4},
        {"end": START + 50 * MINUTE_MS, "limit": 2},
        {"start": NOW + MINUTE_MS},
    ],
)
@pytest.mark.parametrize("interval", ["1s", "1m", "1h"])
def test_body_when_any_range_equals_joined_rows(interval: str, query: dict[str, int]) -> None:
    book = KlineBook(_series())
    args = (interval, NOW, query.get("start"), query.get("end"), query.get("limit", 500))

    first = book.body(*args)
    again = book.body(*args)

    assert first == again == ("[" + ",".join(book.rows(*args)) + "]").encode()
