"""FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import FastAPI

from imb_bot import __version__
from imb_bot.api.deps import Services
from imb_bot.api.routers import bot, health, history, market_data, positions
from imb_bot.config import Settings
from imb_bot.db.errors import StoreUnavailable


class Lifecycle(Protocol):
    """Something started with the server and stopped after it (the bot runtime)."""

    async def start(self) -> None:
        """Start without blocking the server's start-up."""

    async def shutdown(self) -> None:
        """Stop and release every resource."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    lifecycle: Lifecycle | None = app.state.lifecycle
    if lifecycle is not None:
        await lifecycle.start()
    try:
        yield
    finally:
        services: Services = app.state.services
        if lifecycle is not None:
            await lifecycle.shutdown()  # owns the connector and the store
        elif services.connector is not None:
            await services.connector.close()


def create_app(
    settings: Settings, services: Services | None = None, lifecycle: Lifecycle | None = None
) -> FastAPI:
    """Build the API application for ``settings`` (no I/O happens here).

    ``lifecycle`` (the bot runtime) is started when the server starts and shut down after it.
    """
    app = FastAPI(
        lifespan=_lifespan,
        title="IMB Trading Bot API",
        version=__version__,
        description="Control and observe the IMB Trading Bot. Decimals are strings; times are "
        "ISO-8601 UTC.",
    )
    app.state.settings = settings
    app.state.services = services or Services(settings=settings)
    app.state.lifecycle = lifecycle
    app.include_router(health.router)
    app.include_router(bot.router)
    app.include_router(history.router)
    app.include_router(positions.router)
    app.include_router(market_data.router)
    app.add_exception_handler(StoreUnavailable, history.store_unavailable_handler)
    return app
