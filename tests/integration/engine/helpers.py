"""Shared set-up of the engine integration tests: a bot's environment and a candle driver."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from imb_bot.config import TradingMode
from imb_bot.engine.runtime import BotRuntime
from imb_bot.exchange.sim.testing import SimHandle

MAX_ORDER_NOTIONAL = Decimal(500)


def bot_environ(sim: SimHandle, mode: TradingMode, db: Path) -> dict[str, str]:
    """Settings of a bot on ``sim``: loose RSI levels so it trades, limits a test can check."""
    return {
        "IMB_TRADING_MODE": mode.value,
        "IMB_EXCHANGE_URL": sim.base_url,
        "IMB_EXCHANGE_API_KEY": sim.api_key,
        "IMB_EXCHANGE_API_SECRET": sim.api_secret,
        "IMB_DATABASE_URL": f"sqlite:///{db}",
        "IMB_SYMBOLS": "BTC/USDT",
        "IMB_STRATEGY__RSI_OVERSOLD": "45",
        "IMB_STRATEGY__RSI_OVERBOUGHT": "55",
        "IMB_STRATEGY__SIZE_VALUE": "200",
        "IMB_RISK__MIN_TRADE_INTERVAL_S": "0",
        "IMB_RISK__MAX_ORDER_NOTIONAL_QUOTE": str(MAX_ORDER_NOTIONAL),
        "IMB_RISK__MAX_DAILY_LOSS_QUOTE": "1000",
        "IMB_RISK__MAX_TRADES_PER_DAY": "1000",
        "IMB_RISK__MAX_ORDERS_PER_WINDOW": "1000",
        "IMB_EXCHANGE_CLIENT_RATE_LIMIT": "false",  # the simulator enforces the limits
    }


async def run_candles(sim: SimHandle, runtime: BotRuntime, candles: int) -> None:
    """Warm up the (single) loop, then advance the market one candle per iteration."""
    (loop,) = runtime.loops
    await loop.warm_up()
    for _ in range(candles):
        sim.advance_clock(60)
        await loop.iterate()
