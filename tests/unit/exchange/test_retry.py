"""Bounded exponential backoff with jitter, honouring Retry-After."""

from __future__ import annotations

import random

import pytest

from imb_bot.exchange.errors import (
    InvalidRequestError,
    RateLimitedError,
    TransientError,
)
from imb_bot.exchange.retry import RetryPolicy, backoff_delay_s, retry_async


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


class Flaky:
    """Fails with the given errors, then returns 'ok'."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def _policy(**kwargs: float) -> RetryPolicy:
    return RetryPolicy(rng=random.Random(1), **kwargs)  # type: ignore[arg-type]


async def test_retry_when_two_transient_errors_then_success_returns_result() -> None:
    call, sleep = Flaky(TransientError("a"), TransientError("b")), FakeSleep()

    result = await retry_async(call, _policy(max_attempts=3), sleep=sleep)

    assert result == "ok"
    assert call.calls == 3
    assert len(sleep.delays) == 2


async def test_retry_when_attempts_exhausted_reraises_last_error() -> None:
    last = TransientError("last")
    call, sleep = Flaky(TransientError("a"), last), FakeSleep()

    with pytest.raises(TransientError) as info:
        await retry_async(call, _policy(max_attempts=2), sleep=sleep)

    assert info.value is last
    assert call.calls == 2


async def test_retry_when_error_not_transient_raises_immediately() -> None:
    call, sleep = Flaky(InvalidRequestError("bad")), FakeSleep()

    with pytest.raises(InvalidRequestError):
        await retry_async(call, _policy(), sleep=sleep)

    assert call.calls == 1
    assert sleep.delays == []


async def test_retry_when_rate_limited_with_retry_after_waits_at_least_that() -> None:
    call, sleep = Flaky(RateLimitedError("slow down", retry_after=2.5)), FakeSleep()

    await retry_async(call, _policy(base_delay_s=0.01), sleep=sleep)

    assert sleep.delays == [2.5]


async def test_retry_when_retry_after_exceeds_cap_raises_without_waiting() -> None:
    call, sleep = Flaky(RateLimitedError("banned", retry_after=120)), FakeSleep()

    with pytest.raises(RateLimitedError):
        await retry_async(call, _policy(max_retry_after_s=30), sleep=sleep)

    assert sleep.delays == []


async def test_retry_when_called_reports_each_retry_to_callback() -> None:
    seen: list[tuple[int, str]] = []
    call = Flaky(TransientError("a"), TransientError("b"))

    await retry_async(
        call,
        _policy(),
        sleep=FakeSleep(),
        on_retry=lambda n, _delay, error: seen.append((n, str(error))),
    )

    assert seen == [(1, "a"), (2, "b")]


def test_backoff_when_retries_grow_doubles_within_jitter_and_cap() -> None:
    policy = _policy(base_delay_s=1.0, max_delay_s=5.0, jitter=0.5)
    error = TransientError("x")

    delays = [backoff_delay_s(policy, n, error) for n in (1, 2, 3, 4, 5)]

    for n, delay in enumerate(delays, start=1):
        ceiling = min(5.0, 2 ** (n - 1))
        assert ceiling * 0.5 <= delay <= ceiling


def test_backoff_when_no_jitter_is_deterministic() -> None:
    policy = _policy(base_delay_s=0.5, jitter=0.0)

    assert backoff_delay_s(policy, 3, TransientError("x")) == 2.0


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"jitter": 1.5}, {"base_delay_s": -1}],
)
def test_policy_when_values_out_of_range_raises(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
