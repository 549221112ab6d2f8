"""Binance rate limits on the wall clock: REQUEST_WEIGHT per minute per IP, ORDERS per account.

Windows are fixed and aligned to the epoch (a new minute resets the weight), as Binance counts
them. A client that keeps calling after ``ban_after_violations`` 429 answers in one minute gets
418 for ``ban_seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass

from imb_bot.exchange.sim.errors import BinanceError

__all__ = ["RateLimiter", "RateLimits", "Rejection"]

MINUTE_MS = 60_000
TEN_SECONDS_MS = 10_000
DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Limits of one simulator (Binance Spot Testnet defaults)."""

    weight_per_minute: int = 6000
    orders_per_10s: int = 50
    orders_per_day: int = 160_000
    ban_after_violations: int = 5
    ban_seconds: int = 120

    def exchange_info_json(self) -> list[dict[str, object]]:
        """Return the ``rateLimits`` array of ``exchangeInfo``."""
        return [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": self.weight_per_minute,
            },
            {
                "rateLimitType": "ORDERS",
                "interval": "SECOND",
                "intervalNum": 10,
                "limit": self.orders_per_10s,
            },
            {
                "rateLimitType": "ORDERS",
                "interval": "DAY",
                "intervalNum": 1,
                "limit": self.orders_per_day,
            },
        ]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A 429 or 418 answer: the error and the ``Retry-After`` seconds."""

    error: BinanceError
    retry_after_s: int


class _Counter:
    __slots__ = ("count", "window")

    def __init__(self) -> None:
        self.window = -1
        self.count = 0

    def add(self, window: int, amount: int) -> int:
        if window != self.window:
            self.window = window
            self.count = 0
        self.count += amount
        return self.count

    def value(self, window: int) -> int:
        return self.count if window == self.window else 0


class RateLimiter:
    """Counts weight per client IP and new orders per API key."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._weight: dict[str, _Counter] = {}
        self._violations: dict[str, _Counter] = {}
        self._banned_until: dict[str, int] = {}
        self._orders_10s: dict[str, _Counter] = {}
        self._orders_day: dict[str, _Counter] = {}

    def reset(self) -> None:
        """Forget all counters and bans."""
        self._weight.clear()
        self._violations.clear()
        self._banned_until.clear()
        self._orders_10s.clear()
        self._orders_day.clear()

    def used_weight(self, ip: str, now_ms: int) -> int:
        """Weight used by ``ip`` in the current minute."""
        counter = self._weight.get(ip)
        return 0 if counter is None else counter.value(now_ms // MINUTE_MS)

    def add_weight(self, ip: str, weight: int, now_ms: int) -> Rejection | None:
        """Count a request's weight; return the 429/418 answer if it is over the limit."""
        banned_until = self._banned_until.get(ip)
        if banned_until is not None:
            if now_ms < banned_until:
                return self._ban_answer(banned_until, now_ms)
            del self._banned_until[ip]
        window = now_ms // MINUTE_MS
        counter = self._weight.get(ip)
        if counter is None:
            counter = self._weight[ip] = _Counter()
        used = counter.add(window, weight)
        if used <= self.limits.weight_per_minute:
            return None
        violations = self._violations.setdefault(ip, _Counter()).add(window, 1)
        if violations > self.limits.ban_after_violations:
            until = now_ms + self.limits.ban_seconds * 1000
            self._banned_until[ip] = until
            return self._ban_answer(until, now_ms)
        limit = self.limits.weight_per_minute
        return Rejection(
            BinanceError(
                429,
                -1003,
                f"Too much request weight used; current limit is {limit} request weight per "
                "1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
            ),
            _seconds_left(now_ms, MINUTE_MS),
        )

    @staticmethod
    def _ban_answer(until: int, now_ms: int) -> Rejection:
        return Rejection(
            BinanceError(
                418,
                -1003,
                f"Way too much request weight used; IP banned until {until}. Please use "
                "WebSocket Streams for live updates to avoid bans.",
            ),
            max((until - now_ms + 999) // 1000, 1),
        )

    def add_order(self, api_key: str, now_ms: int) -> Rejection | None:
        """Count a new order of ``api_key``; return the 429 answer if it is over a limit."""
        short = self._orders_10s.setdefault(api_key, _Counter())
        day = self._orders_day.setdefault(api_key, _Counter())
        short_window = now_ms // TEN_SECONDS_MS
        day_window = now_ms // DAY_MS
        if short.value(short_window) >= self.limits.orders_per_10s:
            return Rejection(
                BinanceError(
                    429,
                    -1015,
                    f"Too many new orders; current limit is {self.limits.orders_per_10s} orders "
                    "per 10 SECOND.",
                ),
                _seconds_left(now_ms, TEN_SECONDS_MS),
            )
        if day.value(day_window) >= self.limits.orders_per_day:
            return Rejection(
                BinanceError(
                    429,
                    -1015,
                    f"Too many new orders; current limit is {self.limits.orders_per_day} orders "
                    "per 1 DAY.",
                ),
                _seconds_left(now_ms, DAY_MS),
            )
        short.add(short_window, 1)
        day.add(day_window, 1)
        return None

    def order_count_10s(self, api_key: str, now_ms: int) -> int:
        """Orders of ``api_key`` in the current 10-second window."""
        counter = self._orders_10s.get(api_key)
        return 0 if counter is None else counter.value(now_ms // TEN_SECONDS_MS)


def _seconds_left(now_ms: int, window_ms: int) -> int:
    return max((window_ms - now_ms % window_ms + 999) // 1000, 1)
