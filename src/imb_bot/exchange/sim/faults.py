"""Fault injection: rules that make matching requests fail, stall, hang, drop or half-succeed.

A rule matches on method and path (``*`` wildcards allowed) and fires for its next ``count``
matching requests, or — with ``probability`` — on a draw from a generator seeded with the
simulator's seed, so a given sequence of requests always meets the same faults.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal

__all__ = ["ACTIONS", "Fault", "FaultInjector", "parse_fault"]

Action = Literal["error", "delay", "hang", "drop", "execute_then_error"]
ACTIONS: tuple[str, ...] = ("error", "delay", "hang", "drop", "execute_then_error")
_DEFAULT_MSG = "Service Unavailable."


@dataclass(slots=True)
class Fault:
    """One rule; ``remaining`` None means unlimited (probability rules)."""

    method: str | None
    path: str
    action: Action
    remaining: int | None
    probability: float
    status: int
    code: int | None
    msg: str
    delay_ms: int

    def matches(self, method: str, path: str) -> bool:
        """True if the rule applies to this request (before counting and the dice)."""
        if self.method is not None and self.method != method:
            return False
        return self.path == path or fnmatchcase(path, self.path)

    def body(self) -> bytes:
        """JSON body of the error answer (``{"msg": …}`` alone when no code was given)."""
        payload: dict[str, Any] = {"msg": self.msg}
        if self.code is not None:
            payload = {"code": self.code, "msg": self.msg}
        return json.dumps(payload, separators=(",", ":")).encode()

    def to_json(self) -> dict[str, Any]:
        """Return the rule as JSON-able data."""
        return asdict(self)


def _int(data: dict[str, Any], name: str, default: int | None, low: int, high: int) -> int | None:
    value = data.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"'{name}' must be an integer in [{low}, {high}], got {value!r}")
    return value


def parse_fault(data: Any) -> Fault:
    """Build a rule from the ``POST /__sim__/faults`` body.

    Raises:
        ValueError: naming the bad field, its allowed values and what was sent.
    """
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    known = {
        "method",
        "path",
        "count",
        "probability",
        "action",
        "status",
        "code",
        "msg",
        "delay_ms",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown field(s) {unknown}; allowed: {sorted(known)}")
    path = data.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f"'path' must be a path starting with '/', got {path!r}")
    method = data.get("method")
    if method is not None and (not isinstance(method, str) or not method.isalpha()):
        raise ValueError(f"'method' must be an HTTP method such as POST, got {method!r}")
    action = data.get("action", "error")
    if action not in ACTIONS:
        raise ValueError(f"'action' must be one of {', '.join(ACTIONS)}, got {action!r}")
    probability = data.get("probability")
    if probability is not None and (
        isinstance(probability, bool)
        or not isinstance(probability, int | float)
        or not 0 <= probability <= 1
    ):
        raise ValueError(f"'probability' must be a number in [0, 1], got {probability!r}")
    count = _int(data, "count", None, 1, 1_000_000)
    if count is None and probability is None:
        count = 1
    status = _int(data, "status", 503, 100, 599)
    code = _int(data, "code", None, -100_000, 100_000)
    delay_ms = _int(data, "delay_ms", 0, 0, 600_000)
    msg = data.get("msg", _DEFAULT_MSG)
    if not isinstance(msg, str):
        raise ValueError(f"'msg' must be a string, got {msg!r}")
    assert status is not None and delay_ms is not None
    return Fault(
        method=method.upper() if isinstance(method, str) else None,
        path=path,
        action=action,
        remaining=count,
        probability=1.0 if probability is None else float(probability),
        status=status,
        code=code,
        msg=msg,
        delay_ms=delay_ms,
    )


class FaultInjector:
    """The active rules; the first rule that matches and fires decides."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._random = random.Random(seed)
        self.rules: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Activate a rule (after the existing ones)."""
        self.rules.append(fault)

    def clear(self) -> None:
        """Remove every rule and restart the seeded generator."""
        self.rules.clear()
        self._random = random.Random(self._seed)

    def pick(self, method: str, path: str) -> Fault | None:
        """Return the rule that fires for this request, consuming one of its uses."""
        if not self.rules:
            return None
        for fault in self.rules:
            if not fault.matches(method, path):
                continue
            if fault.probability < 1.0 and self._random.random() >= fault.probability:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.rules.remove(fault)
            return fault
        return None
