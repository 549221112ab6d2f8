"""Helpers for tests that run the bot (or the simulator) as a process and talk to it over HTTP."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_json(url: str, timeout_s: float = 2.0) -> Any | None:
    """The JSON body of a 200 answer; None while the server is not up or answers otherwise."""
    try:
        response = httpx.get(url, timeout=timeout_s)
        return response.json() if response.status_code == 200 else None
    except (httpx.TransportError, ValueError):
        return None


def wait_until(
    probe: Callable[[], T | None], *, timeout_s: float, interval_s: float = 0.1
) -> T | None:
    """Call ``probe`` until it returns something truthy (returned) or ``timeout_s`` passes (None).

    For conditions in another process, which offers nothing to wait on but polling.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval_s)
