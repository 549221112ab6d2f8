"""``imb-bot demo``: the whole product offline, on loopback.

Starts the Binance-compatible simulator (synthetic market, accelerated clock) in a child process,
then the bot in LIVE_TESTNET mode against it with the REST API, on a fresh SQLite file. Ctrl-C
stops the bot, then the simulator.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr

from imb_bot.config import Settings, TradingMode

DEMO_DATABASE = Path("imb_demo.sqlite3")


@dataclass(frozen=True)
class DemoOptions:
    """What a demo run looks like; defaults make trades appear within a minute."""

    speed: float = 60.0  # market clock × real time: one 1m candle per second
    seed: int = 7  # synthetic market seed
    database: Path = DEMO_DATABASE  # recreated at every start: the simulator starts afresh too
    quote_balance: Decimal = Decimal(10_000)  # USDT of the simulated account


def demo_settings(
    base: Settings, *, exchange_url: str, api_key: str, api_secret: str, options: DemoOptions
) -> Settings:
    """Return ``base`` switched to the demo profile (LIVE_TESTNET against the simulator)."""
    strategy = base.strategy.model_copy(update={"rsi_oversold": 42.0, "rsi_overbought": 58.0})
    risk = base.risk.model_copy(update={"min_trade_interval_s": 120.0})
    engine = base.engine.model_copy(update={"poll_interval_s": 0.5})
    symbols = base.symbols if base.symbols != ["BTC/USDT"] else ["BTC/USDT", "ETH/USDT"]
    return base.model_copy(
        update={
            "trading_mode": TradingMode.LIVE_TESTNET,
            "exchange_url": exchange_url,
            "exchange_api_key": SecretStr(api_key),
            "exchange_api_secret": SecretStr(api_secret),
            "database_url": f"sqlite:///{options.database.resolve()}",
            "control_token": base.control_token or SecretStr(secrets.token_urlsafe(16)),
            "symbols": symbols,
            "strategy": strategy,
            "risk": risk,
            "engine": engine,
        }
    )


def fresh_database(path: Path) -> None:
    """Remove a previous demo database (and its WAL files)."""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
