"""The two clocks: wall time (auth, /api/v3/time, rate limits) and market time (candles, fills).

Market time = ``base_market_ms + (wall − base_wall_ms) × speed``. ``advance`` moves it forward by
a fixed amount; changing the speed rebases it so it never jumps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["MarketClock", "wall_ms"]


def wall_ms() -> int:
    """Current UTC wall time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


class MarketClock:
    """Market time running at ``speed`` × the wall clock (0 freezes it)."""

    def __init__(
        self,
        *,
        start_market_ms: int,
        speed: float,
        wall: Callable[[], int] = wall_ms,
        start_wall_ms: int | None = None,
    ) -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0, got {speed}")
        self._wall = wall
        self.speed = speed
        self.base_market_ms = start_market_ms
        self.base_wall_ms = wall() if start_wall_ms is None else start_wall_ms

    def wall_ms(self) -> int:
        """Current wall time in epoch milliseconds."""
        return self._wall()

    def now_ms(self) -> int:
        """Current market time in epoch milliseconds."""
        if self.speed == 0:
            return self.base_market_ms
        return self.base_market_ms + int((self._wall() - self.base_wall_ms) * self.speed)

    def advance(self, seconds: float) -> int:
        """Move market time forward by ``seconds`` (≥ 0); return the new market time."""
        if seconds < 0:
            raise ValueError(f"advance_seconds must be >= 0, got {seconds}")
        self.base_market_ms += round(seconds * 1000)
        return self.now_ms()

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on, keeping the current market time."""
        if speed < 0:
            raise ValueError(f"speed must be >= 0, got {speed}")
        now = self.now_ms()
        self.base_wall_ms = self._wall()
        self.base_market_ms = now
        self.speed = speed

    def to_state(self) -> dict[str, Any]:
        """Return what a restart needs to continue this clock."""
        return {
            "base_market_ms": self.base_market_ms,
            "base_wall_ms": self.base_wall_ms,
            "speed": self.speed,
        }
