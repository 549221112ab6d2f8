"""Serve the API with uvicorn; uvicorn handles SIGINT/SIGTERM for a clean shutdown."""

from __future__ import annotations

import uvicorn

from imb_bot.api.app import create_app
from imb_bot.config import Settings


def serve_api(settings: Settings) -> None:
    """Block serving the API on ``settings.api_host:api_port`` until a stop signal arrives."""
    config = uvicorn.Config(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,  # keep our JSON logging
        access_log=False,
        lifespan="on",
    )
    uvicorn.Server(config).run()
