"""Kline paging: past the per-request cap, closed candles judged on exchange server time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from imb_bot.core.models import Candle
from imb_bot.exchange.parsing import Kline, kline_from_raw

__all__ = ["fetch_klines", "timeframe_ms"]

_UNIT_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_MONTH_MS = 31 * 86_400_000  # upper bound; only used to choose a start time

Page = Callable[[dict[str, Any]], Awaitable[list[Any]]]


def timeframe_ms(timeframe: str) -> int:
    """Return the length of a Binance kline interval (``1M`` → 31 days, an upper bound)."""
    amount, unit = int(timeframe[:-1]), timeframe[-1]
    if unit == "M":
        return amount * _MONTH_MS
    return amount * _UNIT_MS[unit]


async def fetch_klines(
    page: Page,
    *,
    timeframe: str,
    limit: int,
    since_ms: int | None,
    server_now_ms: int,
    include_forming: bool,
    max_per_request: int,
) -> list[Candle]:
    """Collect candles through ``page(params)`` (one GET /api/v3/klines, rows oldest first).

    Without ``since_ms`` the latest ``limit`` candles are returned; with it the first ``limit``
    from ``since_ms``. A candle is closed when its close time (open + interval - 1 ms) is before
    ``server_now_ms``; the still-forming one is dropped unless ``include_forming``.
    """

    def closed(kline: Kline) -> bool:
        return include_forming or kline.close_time_ms < server_now_ms

    if since_ms is None and limit + 1 <= max_per_request:
        # One request; one extra row covers the forming candle that is dropped.
        rows = await page({"interval": timeframe, "limit": limit + 1})
        klines = [k for k in map(kline_from_raw, rows) if closed(k)]
        return [k.candle for k in klines[-limit:]]

    wanted = limit + 1 if since_ms is None else limit
    start = since_ms if since_ms is not None else server_now_ms - wanted * timeframe_ms(timeframe)
    by_open: dict[int, Kline] = {}
    cursor = start
    max_pages = wanted // max_per_request + 3  # bound the loop even if the server misbehaves
    for _ in range(max_pages):
        batch = (
            min(max_per_request, wanted - len(by_open))
            if since_ms is not None
            else (max_per_request)
        )
        rows = await page({"interval": timeframe, "startTime": cursor, "limit": batch})
        klines = [kline_from_raw(row) for row in rows]
        for kline in klines:
            if kline.open_time_ms >= cursor:
                by_open[kline.open_time_ms] = kline
        if not klines or len(rows) < batch:
            break
        if not include_forming and klines[-1].close_time_ms >= server_now_ms:
            break  # reached the forming candle: nothing closed follows
        if since_ms is not None and len(by_open) >= wanted:
            break
        cursor = klines[-1].close_time_ms + 1
    ordered = [k for _, k in sorted(by_open.items()) if closed(k)]
    selected = ordered[-limit:] if since_ms is None else ordered[:limit]
    return [k.candle for k in selected]
