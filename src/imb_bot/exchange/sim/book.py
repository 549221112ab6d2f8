"""Synthetic order book around a mid price: fixed spread, evenly spaced levels, growing sizes.

The book is stateless: it is rebuilt from the mid price, so a fill never depletes it for the next
order (no lasting market impact). Market and marketable limit orders walk it level by level.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from imb_bot.exchange.sim.decimals import ceil_to_step, floor_to_step, fmt, round_to_step
from imb_bot.exchange.sim.markets import MarketSpec

__all__ = ["Book", "Level", "build_book"]

Level = tuple[Decimal, Decimal]  # (price, quantity)
_BPS = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class Book:
    """Both sides best-first; ``mid`` is the path price the book was built around."""

    mid: Decimal
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]

    def depth_json(self, limit: int, update_id: int) -> str:
        """Return the ``/api/v3/depth`` body with at most ``limit`` levels per side."""
        bids = ",".join(f'["{fmt(p)}","{fmt(q)}"]' for p, q in self.bids[:limit])
        asks = ",".join(f'["{fmt(p)}","{fmt(q)}"]' for p, q in self.asks[:limit])
        return f'{{"lastUpdateId":{update_id},"bids":[{bids}],"asks":[{asks}]}}'


def build_book(spec: MarketSpec, mid: Decimal) -> Book:
    """Build the book of ``spec`` around ``mid`` (a positive price on the tick grid)."""
    tick = spec.tick_size
    half = mid * spec.spread_bps * _BPS / 2
    best_bid = floor_to_step(mid - half, tick)
    best_ask = ceil_to_step(mid + half, tick)
    if best_ask - best_bid < tick:
        best_ask = best_bid + tick
    if best_bid <= 0:
        best_bid = tick
        best_ask = max(best_ask, best_bid + tick)
    step = max(round_to_step(mid * spec.level_step_bps * _BPS, tick), tick)
    bids: list[Level] = []
    asks: list[Level] = []
    for i in range(spec.book_levels):
        qty = floor_to_step(spec.level_qty * (1 + Decimal(i) / 10), spec.step_size)
        bid = best_bid - step * i
        if bid >= spec.min_price:
            bids.append((bid, qty))
        ask = best_ask + step * i
        if ask <= spec.max_price:
            asks.append((ask, qty))
    return Book(mid=mid, bids=tuple(bids), asks=tuple(asks))
