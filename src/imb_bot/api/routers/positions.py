"""Stored positions: ``GET /positions``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from imb_bot.api.deps import StoreDep
from imb_bot.api.schemas.positions import PositionList
from imb_bot.config import TradingMode

__all__ = ["router"]

router = APIRouter(prefix="/positions", tags=["positions"])


@router.get("", response_model=PositionList, operation_id="listPositions")
def list_positions(
    store: StoreDep,
    mode: Annotated[TradingMode | None, Query(description="PAPER or LIVE_TESTNET.")] = None,
) -> PositionList:
    """List the stored positions (open and closed), ordered by mode and symbol."""
    return PositionList.from_records(store.history.list_positions(mode))
