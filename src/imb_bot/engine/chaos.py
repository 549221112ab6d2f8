"""Crash injection for reliability tests: SIGKILL this process at named points of the order path.

Off unless ``IMB_CHAOS_KILL_AT`` is set, e.g. ``after_intent=0.3,after_submit=0.3`` (probability
per passage), with ``IMB_CHAOS_SEED`` for reproducibility. The kill is a real SIGKILL of the own
process: no cleanup, no flush: exactly the crash the order lifecycle must survive.
"""

from __future__ import annotations

import logging
import os
import random
import signal
from collections.abc import Mapping
from typing import Final

log = logging.getLogger(__name__)

KILL_POINTS: Final = ("after_intent", "after_submit")
ENV_KILL_AT: Final = "IMB_CHAOS_KILL_AT"
ENV_SEED: Final = "IMB_CHAOS_SEED"


class Chaos:
    """Decides whether to crash at a kill point; a no-op when not configured."""

    def __init__(self, probabilities: Mapping[str, float], seed: int | None = None) -> None:
        for point, probability in probabilities.items():
            if point not in KILL_POINTS:
                raise ValueError(f"{ENV_KILL_AT}: unknown point {point!r}; known: {KILL_POINTS}")
            if not 0 <= probability <= 1:
                raise ValueError(f"{ENV_KILL_AT}: {point} probability must be in [0, 1]")
        self._probabilities = dict(probabilities)
        self._random = random.Random(seed)  # test fault injection, not crypto

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Chaos:
        """Read ``IMB_CHAOS_KILL_AT`` / ``IMB_CHAOS_SEED``; empty → never kills."""
        spec = environ.get(ENV_KILL_AT, "").strip()
        probabilities: dict[str, float] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            point, _, value = item.partition("=")
            try:
                probabilities[point.strip()] = float(value)
            except ValueError:
                raise ValueError(f"{ENV_KILL_AT}: {item!r} is not POINT=PROBABILITY") from None
        seed = environ.get(ENV_SEED)
        return cls(probabilities, int(seed) if seed else None)

    @property
    def enabled(self) -> bool:
        """True when some point may kill."""
        return any(p > 0 for p in self._probabilities.values())

    def point(self, name: str) -> None:
        """Maybe SIGKILL this process at kill point ``name``."""
        probability = self._probabilities.get(name, 0.0)
        if probability and self._random.random() < probability:
            log.warning("chaos_kill", extra={"ctx": {"point": name}})
            os.kill(os.getpid(), signal.SIGKILL)


NO_CHAOS: Final = Chaos({})
