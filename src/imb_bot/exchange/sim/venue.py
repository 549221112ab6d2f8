"""The simulated exchange as a whole: clocks, market data, accounts, engine, limits, faults, state.

HTTP handlers call :meth:`SimExchange.sync` first: it moves the matching engine up to the market
clock (filling resting orders the price reached) and saves the state file if anything changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from imb_bot.exchange.sim.clock import MarketClock, wall_ms
from imb_bot.exchange.sim.config import SimConfig
from imb_bot.exchange.sim.decimals import fmt
from imb_bot.exchange.sim.faults import FaultInjector
from imb_bot.exchange.sim.feed import MarketFeed, build_feed
from imb_bot.exchange.sim.ledger import Account
from imb_bot.exchange.sim.matching import MatchingEngine
from imb_bot.exchange.sim.persistence import load_state, save_state
from imb_bot.exchange.sim.ratelimit import RateLimiter, RateLimits
from imb_bot.exchange.sim.series import MINUTE_MS

__all__ = ["Credentials", "SimExchange"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """An API key pair."""

    api_key: str
    api_secret: str


class SimExchange:
    """All state of one simulator instance (single-threaded: used from one event loop)."""

    def __init__(
        self,
        config: SimConfig,
        credentials: Credentials,
        *,
        wall: Callable[[], int] = wall_ms,
    ) -> None:
        self.config = config
        self.state_path: Path | None = config.state
        saved = load_state(config.state) if config.state is not None else None
        now_wall = wall()
        if saved is not None:
            self.seed = int(saved["seed"])
            self.anchor_ms = int(saved["anchor_ms"])
            # the history length fixes where the series starts: keep the saved one
            history = int(saved.get("history_minutes", config.history_minutes))
            config = config.model_copy(update={"history_minutes": history})
            self.config = config
            clock = saved["clock"]
            self.clock = MarketClock(
                start_market_ms=int(clock["base_market_ms"]),
                speed=float(clock["speed"]),
                wall=wall,
                start_wall_ms=int(clock["base_wall_ms"]),
            )
            if self.clock.speed != config.speed:
                self.clock.set_speed(config.speed)
        else:
            self.seed = config.seed
            self.anchor_ms = now_wall - now_wall % MINUTE_MS
            start = now_wall if config.speed > 0 else self.anchor_ms
            self.clock = MarketClock(start_market_ms=start, speed=config.speed, wall=wall)
        self.feed: MarketFeed = build_feed(config, self.anchor_ms, self.seed)
        self.markets = self.feed.specs
        self.engine = MatchingEngine(self.markets, self.feed, config.commission_rate)
        self.limits = RateLimits(
            weight_per_minute=config.weight_per_minute,
            orders_per_10s=config.orders_per_10s,
            orders_per_day=config.orders_per_day,
            ban_after_violations=config.ban_after_violations,
            ban_seconds=config.ban_seconds,
        )
        self.limiter = RateLimiter(self.limits)
        self.faults = FaultInjector(self.seed)
        self.accounts: dict[str, Account] = {}
        self.processed_ms = self.clock.now_ms()
        if saved is not None:
            self._restore(saved)
        if credentials.api_key not in self.accounts:
            self.accounts[credentials.api_key] = self._new_account(credentials)
        self.assets = sorted(
            {spec.base for spec in self.markets.values()}
            | {spec.quote for spec in self.markets.values()}
        )
        self.persist()

    def _new_account(self, credentials: Credentials) -> Account:
        return Account(
            api_key=credentials.api_key,
            secret=credentials.api_secret,
            initial=dict(self.config.balance),
        )

    def _restore(self, saved: dict[str, Any]) -> None:
        for record in saved["accounts"]:
            account = Account.from_state(record)
            self.accounts[account.api_key] = account
        for symbol, value in saved["next_order_id"].items():
            if symbol in self.engine.next_order_id:
                self.engine.next_order_id[symbol] = int(value)
        for symbol, value in saved["next_trade_id"].items():
            if symbol in self.engine.next_trade_id:
                self.engine.next_trade_id[symbol] = int(value)
        self.processed_ms = int(saved["processed_ms"])

    # --- time ----------------------------------------------------------------------------------

    def sync(self) -> int:
        """Bring the matching engine up to the market clock; return the market time."""
        now = self.clock.now_ms()
        if now > self.processed_ms:
            before = self.processed_ms
            self.processed_ms = now
            if self.engine.advance(self.accounts.values(), before, now):
                self.persist()
        return now

    def advance_clock(self, seconds: float) -> int:
        """Advance the market clock (and fill what the price reaches); return the new time."""
        self.clock.advance(seconds)
        now = self.sync()
        self.persist()
        return now

    # --- accounts ------------------------------------------------------------------------------

    def account(self, api_key: str) -> Account | None:
        """The account of ``api_key``, if any."""
        return self.accounts.get(api_key)

    def reset(self) -> None:
        """Restore every account to its initial balances with no orders or trades.

        Order and trade ids keep counting up, so ids stay unique across resets; rate-limit
        counters, bans and fault rules are cleared; the market clock is not touched.
        """
        for key, account in list(self.accounts.items()):
            self.accounts[key] = self._new_account(Credentials(key, account.secret))
        self.limiter.reset()
        self.faults.clear()
        self.processed_ms = max(self.processed_ms, self.clock.now_ms())
        self.persist()

    # --- state ---------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Ground truth for tests: ``GET /__sim__/state`` (documented in docs/simulator.md)."""
        now = self.sync()
        return {
            "market_time_ms": now,
            "wall_time_ms": self.clock.wall_ms(),
            "speed": self.clock.speed,
            "prices": {symbol: fmt(self.feed.price(symbol, now)) for symbol in self.markets},
            "accounts": {
                key: {
                    "balances": account.balances_json(),
                    "orders": [
                        order.query_json()
                        for order in sorted(
                            account.orders.values(), key=lambda o: (o.time, o.symbol, o.order_id)
                        )
                    ],
                    "trades": [
                        trade.to_json()
                        for trade in sorted(
                            (t for trades in account.trades.values() for t in trades),
                            key=lambda t: (t.time, t.symbol, t.id),
                        )
                    ],
                }
                for key, account in self.accounts.items()
            },
        }

    def persist(self) -> None:
        """Save the state file (if one is configured)."""
        if self.state_path is None:
            return
        save_state(
            self.state_path,
            {
                "seed": self.seed,
                "anchor_ms": self.anchor_ms,
                "history_minutes": self.config.history_minutes,
                "clock": self.clock.to_state(),
                "processed_ms": self.processed_ms,
                "next_order_id": dict(self.engine.next_order_id),
                "next_trade_id": dict(self.engine.next_trade_id),
                "accounts": [account.to_state() for account in self.accounts.values()],
            },
        )

    def commission_rate_text(self) -> str:
        """Commission rate as Binance prints it in ``account``."""
        return fmt(self.config.commission_rate)

    def commission_bps(self) -> int:
        """Commission in basis points (Binance's ``takerCommission`` integer)."""
        return int(self.config.commission_rate * Decimal(10000))
