"""Strategies: the ``Strategy`` protocol and the ``rsi_ema`` strategy."""

from imb_bot.core.strategy.base import StaleCandleError, Strategy
from imb_bot.core.strategy.rsi_ema import HoldReason, RsiEmaConfig, RsiEmaStrategy

__all__ = ["HoldReason", "RsiEmaConfig", "RsiEmaStrategy", "StaleCandleError", "Strategy"]
