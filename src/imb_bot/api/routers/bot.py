"""Bot status and control: GET /status, POST /bot/start|stop|halt (bearer token)."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from imb_bot.api.deps import ServicesDep
from imb_bot.engine.controller import BotController, ResumeRefusedError
from imb_bot.engine.status import BotState, BotStatus

router = APIRouter(tags=["bot"])
_bearer = HTTPBearer(auto_error=False, description="IMB_CONTROL_TOKEN")


class StatusPublic(BaseModel):
    """Bot status as shown to operators."""

    state: BotState
    mode: str
    trading_state: str = Field(description="Risk state: ACTIVE, REDUCING (exits only) or HALTED")
    symbols: list[str]
    last_loop_at: datetime | None
    last_trade_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    iterations: int
    errors: int
    orders_submitted: int
    rejections: int
    rejections_by_code: dict[str, int]
    halt_reason: str | None
    store_available: bool

    @classmethod
    def from_status(cls, s: BotStatus) -> StatusPublic:
        """Copy the live status record."""
        return cls(
            state=s.state,
            mode=s.mode,
            trading_state=s.trading_state,
            symbols=list(s.symbols),
            last_loop_at=s.last_loop_at,
            last_trade_at=s.last_trade_at,
            last_error=s.last_error,
            last_error_at=s.last_error_at,
            iterations=s.iterations,
            errors=s.errors,
            orders_submitted=s.orders_submitted,
            rejections=sum(s.rejections.values()),
            rejections_by_code=dict(s.rejections),
            halt_reason=s.halt_reason,
            store_available=s.store_available,
        )


async def _controller(services: ServicesDep) -> BotController:
    if services.controller is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the trading engine is not running"
        )
    return services.controller


async def require_control_token(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Allow the request only with ``Authorization: Bearer <IMB_CONTROL_TOKEN>``."""
    expected = services.settings.control_token
    if expected is None or not expected.get_secret_value():
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "control endpoints are disabled: set IMB_CONTROL_TOKEN to enable them",
        )
    given = credentials.credentials if credentials is not None else ""
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or invalid bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )


ControllerDep = Annotated[BotController, Depends(_controller)]
Authorized = [Depends(require_control_token)]


@router.get("/status", response_model=StatusPublic, operation_id="getStatus")
async def get_status(controller: ControllerDep) -> StatusPublic:
    """Return the bot's state, mode, last loop/trade times, last error and counters."""
    return StatusPublic.from_status(controller.status)


@router.post(
    "/bot/start",
    response_model=StatusPublic,
    operation_id="startBot",
    dependencies=Authorized,
    responses={409: {"description": "Halted and the cause (e.g. a balance mismatch) remains."}},
)
async def start_bot(controller: ControllerDep) -> StatusPublic:
    """Start the trading loops, or resume trading after a halt (409 while its cause remains)."""
    try:
        return StatusPublic.from_status(await controller.start())
    except ResumeRefusedError as refused:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"still halted: {refused}; fix this, then start again"
        ) from None


@router.post(
    "/bot/stop", response_model=StatusPublic, operation_id="stopBot", dependencies=Authorized
)
async def stop_bot(controller: ControllerDep) -> StatusPublic:
    """Stop the trading loops (open orders stay as they are)."""
    return StatusPublic.from_status(await controller.stop())


@router.post(
    "/bot/halt", response_model=StatusPublic, operation_id="haltBot", dependencies=Authorized
)
async def halt_bot(controller: ControllerDep) -> StatusPublic:
    """Stop opening positions and cancel open orders; market data keeps flowing."""
    return StatusPublic.from_status(await controller.halt("operator request via API"))
