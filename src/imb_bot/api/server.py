"""Serve the API with uvicorn; SIGINT/SIGTERM trigger a graceful shutdown and exit code 0."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Generator

import uvicorn

from imb_bot.api.app import create_app
from imb_bot.config import Settings


class _GracefulServer(uvicorn.Server):
    """uvicorn server that stops on SIGINT/SIGTERM without re-raising the signal afterwards."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._request_exit)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    def _request_exit(self) -> None:
        # A second signal forces the exit (e.g. a stuck shutdown), like uvicorn does.
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


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
    asyncio.run(_GracefulServer(config).serve())
