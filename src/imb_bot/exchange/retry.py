"""Bounded exponential backoff with jitter for idempotent exchange reads.

Only :class:`~imb_bot.exchange.errors.TransientError` (and its subclasses) is retried; a
``Retry-After`` from a rate-limit answer is honoured. Order submissions never go through here.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from imb_bot.exchange.errors import RateLimitedError, TransientError

__all__ = ["RetryPolicy", "Sleep", "backoff_delay_s", "retry_async"]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
OnRetry = Callable[[int, float, TransientError], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How reads are retried.

    ``max_attempts`` counts the first try (1 = never retry). The n-th retry waits
    ``min(max_delay_s, base_delay_s * 2**(n-1))`` scaled by a random factor in
    ``[1 - jitter, 1]``, or the server's ``Retry-After`` when that is longer. A ``Retry-After``
    above ``max_retry_after_s`` is not waited for: the error is raised at once.
    """

    max_attempts: int = 4
    base_delay_s: float = 0.25
    max_delay_s: float = 5.0
    jitter: float = 0.5
    max_retry_after_s: float = 30.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.base_delay_s < 0 or self.max_delay_s < 0 or self.max_retry_after_s < 0:
            raise ValueError("delays must be >= 0")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be within [0, 1], got {self.jitter}")


def backoff_delay_s(policy: RetryPolicy, retry_number: int, error: TransientError) -> float:
    """Return the wait before retry ``retry_number`` (1-based) after ``error``."""
    backoff = min(policy.max_delay_s, policy.base_delay_s * 2.0 ** (retry_number - 1))
    backoff *= 1 - policy.jitter * policy.rng.random()
    if isinstance(error, RateLimitedError) and error.retry_after is not None:
        return max(backoff, error.retry_after)
    return backoff


async def retry_async(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: Sleep = asyncio.sleep,
    on_retry: OnRetry | None = None,
) -> T:
    """Await ``call()``, retrying on :class:`TransientError` as ``policy`` allows.

    ``on_retry(retry_number, delay_s, error)`` is called before each wait. The last error is
    re-raised unchanged when attempts run out or a ``Retry-After`` exceeds the policy's cap.
    """
    attempt = 1
    while True:
        try:
            return await call()
        except TransientError as error:
            if attempt >= policy.max_attempts:
                raise
            if (
                isinstance(error, RateLimitedError)
                and error.retry_after is not None
                and error.retry_after > policy.max_retry_after_s
            ):
                raise
            delay = backoff_delay_s(policy, attempt, error)
            if on_retry is not None:
                on_retry(attempt, delay, error)
            await sleep(delay)
            attempt += 1
