"""FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from imb_bot import __version__
from imb_bot.api.deps import Services
from imb_bot.api.routers import bot, health
from imb_bot.config import Settings


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """Build the API application for ``settings`` (no I/O happens here)."""
    app = FastAPI(
        title="IMB Trading Bot API",
        version=__version__,
        description="Control and observe the IMB Trading Bot. Decimals are strings; times are "
        "ISO-8601 UTC.",
    )
    app.state.settings = settings
    app.state.services = services or Services(settings=settings)
    app.include_router(health.router)
    app.include_router(bot.router)
    return app
