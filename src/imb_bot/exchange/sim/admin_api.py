"""Admin routes under ``/__sim__/``: state, reset, clock, faults. JSON in, JSON out, no auth."""

from __future__ import annotations

import json
from typing import Any

from imb_bot.exchange.sim.faults import parse_fault
from imb_bot.exchange.sim.venue import SimExchange

__all__ = ["AdminApi", "AdminError"]


class AdminError(ValueError):
    """A bad admin request: answered with 400 ``{"error": message}``."""


def _body(raw: bytes) -> Any:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise AdminError(f"body is not JSON: {exc}") from None


def _number(data: dict[str, Any], name: str) -> float | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise AdminError(f"'{name}' must be a number >= 0, got {value!r}")
    return float(value)


class AdminApi:
    """Handlers returning ``(status, JSON-able data)``."""

    def __init__(self, exchange: SimExchange) -> None:
        self.ex = exchange

    def handle(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        """Dispatch one admin request."""
        try:
            return self._dispatch(method, path, raw)
        except AdminError as exc:
            return 400, {"error": str(exc)}

    def _dispatch(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        route = (method, path.rstrip("/"))
        if route == ("GET", "/__sim__/state"):
            return 200, self.ex.snapshot()
        if route == ("POST", "/__sim__/reset"):
            self.ex.reset()
            return 200, {"status": "reset"}
        if route == ("GET", "/__sim__/clock"):
            return 200, self._clock()
        if route == ("POST", "/__sim__/clock"):
            return 200, self._set_clock(_body(raw))
        if route == ("GET", "/__sim__/faults"):
            return 200, [fault.to_json() for fault in self.ex.faults.rules]
        if route == ("POST", "/__sim__/faults"):
            try:
                fault = parse_fault(_body(raw))
            except ValueError as exc:
                raise AdminError(str(exc)) from None
            self.ex.faults.add(fault)
            return 200, fault.to_json()
        if route == ("DELETE", "/__sim__/faults"):
            self.ex.faults.clear()
            return 200, {"status": "cleared"}
        return 404, {"error": f"no admin route {method} {path}"}

    def _clock(self) -> dict[str, Any]:
        return {
            "market_time_ms": self.ex.sync(),
            "wall_time_ms": self.ex.clock.wall_ms(),
            "speed": self.ex.clock.speed,
        }

    def _set_clock(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict) or not set(data) <= {"advance_seconds", "speed"}:
            raise AdminError('body must be {"advance_seconds": N} and/or {"speed": X}')
        speed = _number(data, "speed")
        advance = _number(data, "advance_seconds")
        if speed is not None:
            self.ex.sync()
            self.ex.clock.set_speed(speed)
        if advance is not None:
            self.ex.advance_clock(advance)
        else:
            self.ex.persist()
        return self._clock()
