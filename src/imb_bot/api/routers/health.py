"""Liveness endpoint."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from imb_bot import __version__

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Liveness answer: the process is up and serving."""

    status: Literal["ok"]
    version: str


@router.get("/health", response_model=Health, operation_id="getHealth")
async def get_health() -> Health:
    """Report liveness without touching the exchange or the database."""
    return Health(status="ok", version=__version__)
