"""What the bot is doing right now: state, counters and last events, for /status and metrics."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class BotState(StrEnum):
    """Lifecycle state of the bot process (not to be confused with the risk trading state)."""

    RUNNING = "running"  # loops run and may trade
    STOPPED = "stopped"  # no loops run
    HALTED = "halted"  # loops run (data, exits checks) but no new orders; open orders canceled
    ERROR = "error"  # start-up failed or a loop died; needs an operator


@dataclass
class BotStatus:
    """Mutable status record updated by the engine; read (copied) by the API."""

    mode: str
    symbols: list[str]
    state: BotState = BotState.STOPPED
    trading_state: str = "ACTIVE"
    last_loop_at: datetime | None = None
    last_trade_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    iterations: int = 0
    errors: int = 0
    orders_submitted: int = 0
    rejections: Counter[str] = field(default_factory=Counter)
    halt_reason: str | None = None
    store_available: bool = True

    def record_error(self, message: str, at: datetime) -> None:
        """Remember the latest error (message must already be free of secrets)."""
        self.errors += 1
        self.last_error = message
        self.last_error_at = at

    def record_rejection(self, code: str) -> None:
        """Count a risk or execution rejection by its reason code."""
        self.rejections[code] += 1
