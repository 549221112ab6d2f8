import json
from typing import Any

import pytest

from imb_bot.exchange.sim.faults import FaultInjector, parse_fault
from imb_bot.exchange.sim.ratelimit import RateLimiter, RateLimits


def test_parse_fault_when_minimal_defaults_to_one_503() -> None:
    fault = parse_fault({"path": "/api/v3/order"})

    assert (fault.action, fault.status, fault.remaining, fault.method) == ("error", 503, 1, None)
    assert json.loads(fault.body()) == {"msg": "Service Unavailable."}


def test_parse_fault_when_code_given_body_is_binance_error() -> None:
    fault = parse_fault({"path": "/x", "code": -1001, "msg": "Internal error.", "method": "post"})

    assert json.loads(fault.body()) == {"code": -1001, "msg": "Internal error."}
    assert fault.method == "POST"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"path": "api"}, "'path'"),
        ({"path": "/x", "action": "explode"}, "'action' must be one of"),
        ({"path": "/x", "probability": 2}, "'probability'"),
        ({"path": "/x", "count": 0}, "'count'"),
        ({"path": "/x", "colour": "red"}, "unknown field"),
        ([], "JSON object"),
    ],
)
def test_parse_fault_when_invalid_names_the_field(data: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_fault(data)


def test_pick_when_count_given_fires_that_many_times_then_stops() -> None:
    faults = FaultInjector(seed=1)
    faults.add(parse_fault({"method": "POST", "path": "/api/v3/order", "count": 2}))

    fired = [faults.pick("POST", "/api/v3/order") is not None for _ in range(4)]

    assert fired == [True, True, False, False]
    assert faults.pick("GET", "/api/v3/order") is None


def test_pick_when_wildcard_path_matches_any_endpoint() -> None:
    faults = FaultInjector(seed=1)
    faults.add(parse_fault({"path": "/api/v3/*", "count": 5}))

    assert faults.pick("GET", "/api/v3/klines") is not None


def test_pick_when_probability_given_is_deterministic_per_seed() -> None:
    def draws(seed: int) -> list[bool]:
        faults = FaultInjector(seed=seed)
        faults.add(parse_fault({"path": "/api/v3/time", "probability": 0.5}))
        return [faults.pick("GET", "/api/v3/time") is not None for _ in range(40)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert 5 < sum(draws(7)) < 35


def test_add_weight_when_over_limit_answers_429_with_retry_after() -> None:
    limiter = RateLimiter(RateLimits(weight_per_minute=10))
    now = 1_699_999_990_000  # 10 s into a minute

    assert limiter.add_weight("ip", 10, now) is None
    rejection = limiter.add_weight("ip", 1, now)

    assert rejection is not None
    assert (rejection.error.status, rejection.error.code) == (429, -1003)
    assert rejection.retry_after_s == 50
    assert limiter.used_weight("ip", now) == 11
    assert limiter.add_weight("ip", 1, now + 60_000) is None  # next minute


def test_add_weight_when_429s_ignored_bans_ip_with_418() -> None:
    limiter = RateLimiter(RateLimits(weight_per_minute=1, ban_after_violations=2, ban_seconds=120))
    now = 1_700_000_000_000
    answers = [limiter.add_weight("ip", 1, now) for _ in range(5)]

    statuses = [None if a is None else a.error.status for a in answers]
    assert statuses == [None, 429, 429, 418, 418]
    last = answers[-1]
    assert last is not None and last.retry_after_s == 120
    assert "IP banned until" in last.error.msg
    assert limiter.add_weight("other-ip", 1, now) is None


def test_add_order_when_over_ten_second_limit_answers_1015() -> None:
    limiter = RateLimiter(RateLimits(orders_per_10s=2))
    now = 1_700_000_000_000

    results = [limiter.add_order("key", now) for _ in range(3)]

    assert results[:2] == [None, None]
    assert results[2] is not None
    assert (results[2].error.status, results[2].error.code) == (429, -1015)
    assert limiter.add_order("key", now + 10_000) is None
