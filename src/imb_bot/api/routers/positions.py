"""Stored positions: ``GET /positions``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from imb_bot.api.deps import StoreDep
from imb_bot.api.schemas.positions import PositionList
from imb_bot.config import TradingMode

__all__ = ["router"]

router = APIRouter(prefix="/positions", tags=["positions"])


@router.get("", response_model=PositionList, operation_id="listPositions")
async def list_positions(
    store: StoreDep,
    mode: Annotated[TradingMode | None, Query(description="PAPER or LIVE_TESTNET.")] = None,
) -> PositionList:
    """List the stored positions (open and closed), ordered by mode and symbol."""
    return PositionList.from_records(await run_in_threadpool(store.history.list_positions, mode))
