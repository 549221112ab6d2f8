"""Liveness endpoint and the exchange health check."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from imb_bot import __version__
from imb_bot.api.deps import ConnectorDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """Liveness answer: the process is up and serving."""

    status: Literal["ok"]
    version: str


@router.get("/health", response_model=Health, operation_id="getHealth")
async def get_health() -> Health:
    """Report liveness without touching the exchange or the database."""
    return Health(status="ok", version=__version__)


class ExchangeHealthDetails(BaseModel):
    """Round-trip latency and clock offset of GET /api/v3/time, or the error that stopped it."""

    latency_ms: float | None
    server_time_offset_ms: int | None
    error: str | None


class ExchangeHealth(BaseModel):
    """Reachability of the exchange."""

    status: Literal["ok", "error"]
    details: ExchangeHealthDetails


@router.get(
    "/health/exchange",
    response_model=ExchangeHealth,
    operation_id="getExchangeHealth",
    responses={503: {"description": "No exchange connector is configured in this process."}},
)
async def get_exchange_health(connector: ConnectorDep) -> ExchangeHealth:
    """Check the exchange; 200 with ``status: "error"`` when it is unreachable."""
    return ExchangeHealth.model_validate(await connector.health_check())
