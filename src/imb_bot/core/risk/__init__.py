"""Pre-trade risk: limits, trading state (ACTIVE / REDUCING / HALTED) and rejection log."""

from imb_bot.core.risk.config import RiskConfig, TradingState
from imb_bot.core.risk.manager import RejectionRecord, RiskManager, TradingStateChange
from imb_bot.core.risk.snapshot import PositionExposure, RiskSnapshot

__all__ = [
    "PositionExposure",
    "RejectionRecord",
    "RiskConfig",
    "RiskManager",
    "RiskSnapshot",
    "TradingState",
    "TradingStateChange",
]
