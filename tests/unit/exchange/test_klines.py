"""Kline paging and the closed-candle rule on server time."""

from __future__ import annotations

from typing import Any

from imb_bot.exchange.klines import fetch_klines, timeframe_ms

MIN = 60_000
NOW = 1_000 * MIN + 30_000  # half-way through the candle opened at minute 1000


class FakeKlines:
    """Serves 1m klines for minutes [0, 1000] (1000 is forming at NOW), Binance-style."""

    def __init__(self, cap: int = 1000) -> None:
        self.cap = cap
        self.requests: list[dict[str, Any]] = []

    def _row(self, minute: int) -> list[Any]:
        open_ms = minute * MIN
        return [open_ms, "1", "2", "0.5", str(minute), "10", open_ms + MIN - 1]

    async def __call__(self, params: dict[str, Any]) -> list[Any]:
        self.requests.append(params)
        limit = min(int(params["limit"]), self.cap)
        last = NOW // MIN
        if "startTime" in params:
            first = -(-int(params["startTime"]) // MIN)  # first open >= startTime
            minutes = range(max(first, 0), min(first + limit, last + 1))
        else:
            minutes = range(last - limit + 1, last + 1)
        return [self._row(m) for m in minutes]


async def _fetch(page: FakeKlines, **kwargs: Any) -> list[int]:
    params: dict[str, Any] = {
        "timeframe": "1m",
        "limit": 5,
        "since_ms": None,
        "server_now_ms": NOW,
        "include_forming": False,
        "max_per_request": page.cap,
    }
    params.update(kwargs)
    candles = await fetch_klines(page, **params)
    return [int(c.close) for c in candles]  # close encodes the minute


async def test_fetch_when_latest_small_limit_one_request_without_forming_candle() -> None:
    page = FakeKlines()

    minutes = await _fetch(page, limit=5)

    assert minutes == [995, 996, 997, 998, 999]
    assert len(page.requests) == 1


async def test_fetch_when_include_forming_returns_the_open_candle_last() -> None:
    minutes = await _fetch(FakeKlines(), limit=3, include_forming=True)

    assert minutes == [998, 999, 1000]


async def test_fetch_when_limit_exceeds_cap_pages_and_returns_latest_closed() -> None:
    page = FakeKlines(cap=100)

    minutes = await _fetch(page, limit=250)

    assert minutes == list(range(750, 1000))
    assert len(page.requests) >= 3
    assert all(int(r["limit"]) <= 100 for r in page.requests)


async def test_fetch_when_since_given_returns_first_limit_from_since() -> None:
    page = FakeKlines(cap=100)

    minutes = await _fetch(page, limit=150, since_ms=10 * MIN)

    assert minutes == list(range(10, 160))
    assert page.requests[0]["startTime"] == 10 * MIN


async def test_fetch_when_since_reaches_now_stops_at_last_closed() -> None:
    minutes = await _fetch(FakeKlines(cap=100), limit=50, since_ms=990 * MIN)

    assert minutes == list(range(990, 1000))


async def test_fetch_when_candle_closes_exactly_at_server_time_counts_as_closed() -> None:
    minutes = await _fetch(FakeKlines(), limit=2, server_now_ms=1001 * MIN)

    assert minutes == [999, 1000]


def test_timeframe_ms_when_units_vary_returns_lengths() -> None:
    assert timeframe_ms("1s") == 1_000
    assert timeframe_ms("15m") == 15 * MIN
    assert timeframe_ms("4h") == 4 * 60 * MIN
    assert timeframe_ms("1w") == 7 * 24 * 60 * MIN
    assert timeframe_ms("1M") == 31 * 24 * 60 * MIN


async def test_fetch_when_include_forming_and_data_ahead_of_server_time_pages_to_the_end() -> None:
    page = FakeKlines(cap=100)

    minutes = await _fetch(
        page, limit=300, since_ms=700 * MIN, server_now_ms=750 * MIN, include_forming=True
    )

    assert minutes == list(range(700, 1000))
