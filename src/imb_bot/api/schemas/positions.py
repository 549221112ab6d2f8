"""Schemas of ``GET /positions``."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from imb_bot.api.schemas.common import DecimalStr
from imb_bot.config import TradingMode
from imb_bot.db.records import PositionRecord, PositionStatus

__all__ = ["PositionList", "PositionPublic"]


class PositionPublic(BaseModel):
    """The stored position of one symbol in one mode (as of its last fill)."""

    model_config = ConfigDict(from_attributes=True)

    mode: TradingMode
    symbol: str = Field(examples=["BTC/USDT"])
    quantity: DecimalStr = Field(description="Base asset held.")
    average_entry_price: DecimalStr | None = Field(
        description="Cost basis per unit held, fees excluded; null when flat."
    )
    cost_basis_quote: DecimalStr = Field(description="Cost of the quantity held, in quote.")
    realized_pnl_quote: DecimalStr = Field(description="Closed PnL in quote, gross of fees.")
    fees_quote: DecimalStr = Field(description="Fees paid on this symbol, valued in quote.")
    status: PositionStatus
    opened_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime


class PositionList(BaseModel):
    """Every stored position matching the filter, ordered by mode and symbol."""

    items: list[PositionPublic]

    @classmethod
    def from_records(cls, records: list[PositionRecord]) -> PositionList:
        """Build the response from store records."""
        return cls(items=[PositionPublic.model_validate(r) for r in records])
