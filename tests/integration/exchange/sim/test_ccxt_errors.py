"""Each rejection the simulator sends becomes the ccxt exception binance-protocol.md names."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

from imb_bot.exchange.sim.testing import SimHandle, ccxt_client


def _fresh(sim: SimHandle, **overrides: Any) -> Any:
    client = ccxt_client(sim, **overrides)
    client.load_markets()
    return client


def test_private_call_when_secret_wrong_raises_authentication_error(sim: SimHandle) -> None:
    client = _fresh(sim, secret="not-the-secret")

    with pytest.raises(ccxt.AuthenticationError, match="-1022"):
        client.fetch_balance()


def test_private_call_when_key_unknown_raises_authentication_error(sim: SimHandle) -> None:
    client = _fresh(sim, apiKey="unknownKey123")

    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        client.fetch_balance()


def test_private_call_when_key_malformed_raises_authentication_error(sim: SimHandle) -> None:
    client = _fresh(sim, apiKey="bad key!")

    with pytest.raises(ccxt.AuthenticationError, match="-2014"):
        client.fetch_balance()


@pytest.mark.parametrize("offset_ms", [20_000, -5_000])
def test_private_call_when_clock_off_raises_invalid_nonce(sim: SimHandle, offset_ms: int) -> None:
    client = _fresh(sim)
    client.options["timeDifference"] = offset_ms  # ccxt sends now - timeDifference

    with pytest.raises(ccxt.InvalidNonce, match="-1021"):
        client.fetch_balance()


def test_private_call_when_timestamp_missing_raises_bad_request(sim: SimHandle, ex: Any) -> None:
    with pytest.raises(ccxt.BadRequest, match="-1102"):
        ex.fetch(f"{sim.base_url}/api/v3/account", "GET", {"X-MBX-APIKEY": sim.api_key})


def test_market_data_when_symbol_unknown_raises_bad_symbol(ex: Any) -> None:
    with pytest.raises(ccxt.BadSymbol, match="-1121"):
        ex.public_get_ticker_24hr({"symbol": "FOOBAR"})


def test_create_order_when_symbol_unknown_raises_bad_symbol(ex: Any) -> None:
    with pytest.raises(ccxt.BadSymbol, match="-1121"):
        ex.private_post_order(
            {"symbol": "FOOBAR", "side": "BUY", "type": "MARKET", "quantity": "1"}
        )


def test_create_order_when_funds_short_raises_insufficient_funds(ex: Any) -> None:
    with pytest.raises(ccxt.InsufficientFunds):
        ex.create_order("BTC/USDT", "limit", "buy", 1, 50000)


@pytest.mark.parametrize(
    ("args", "filter_type"),
    [
        (("BTC/USDT", "limit", "buy", 0.001, 2_000_000), "PRICE_FILTER"),
        (("BTC/USDT", "market", "sell", 200), "MARKET_LOT_SIZE"),
        (("BTC/USDT", "limit", "sell", 10_000, 70_000), "LOT_SIZE"),
    ],
)
def test_create_order_when_filter_fails_raises_invalid_order(
    ex: Any, args: tuple[Any, ...], filter_type: str
) -> None:
    with pytest.raises(ccxt.InvalidOrder, match=f"Filter failure: {filter_type}"):
        ex.create_order(*args)


def test_create_order_when_notional_too_small_raises_bad_request_not_invalid_order(
    ex: Any,
) -> None:
    with pytest.raises(ccxt.BadRequest, match="NOTIONAL") as info:
        ex.create_order("BTC/USDT", "limit", "buy", 0.00001, 50000)

    assert not isinstance(info.value, ccxt.InvalidOrder)


def test_create_order_when_client_id_of_open_order_reused_raises_invalid_order(ex: Any) -> None:
    ex.create_order("BTC/USDT", "limit", "buy", 0.001, 30000, params={"clientOrderId": "dup-1"})

    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        ex.create_order("BTC/USDT", "limit", "buy", 0.001, 31000, params={"clientOrderId": "dup-1"})


def test_fetch_order_when_unknown_raises_order_not_found(ex: Any) -> None:
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        ex.fetch_order("987654", "BTC/USDT")
    with pytest.raises(ccxt.OrderNotFound, match="-2013"):
        ex.fetch_order(None, "BTC/USDT", params={"clientOrderId": "never-sent"})


def test_cancel_order_when_unknown_raises_order_not_found(ex: Any) -> None:
    with pytest.raises(ccxt.OrderNotFound, match="-2011"):
        ex.cancel_order("987654", "BTC/USDT")


def test_request_when_503_fault_raises_exchange_not_available(sim: SimHandle, ex: Any) -> None:
    sim.add_fault(method="GET", path="/api/v3/ticker/24hr", status=503)

    with pytest.raises(ccxt.ExchangeNotAvailable):
        ex.fetch_ticker("BTC/USDT")
    assert ex.fetch_ticker("BTC/USDT")["last"] > 0  # count 1: the next call is served


def test_request_when_5xx_fault_carries_binance_code_raises_operation_failed(
    sim: SimHandle, ex: Any
) -> None:
    sim.add_fault(path="/api/v3/account", status=503, code=-1001, msg="Internal error.")

    with pytest.raises(ccxt.OperationFailed, match="-1001"):
        ex.fetch_balance()


def test_request_when_hang_fault_raises_request_timeout(sim: SimHandle) -> None:
    client = _fresh(sim, timeout=300)
    sim.add_fault(method="GET", path="/api/v3/time", action="hang")

    with pytest.raises(ccxt.RequestTimeout):
        client.fetch_time()
    assert client.fetch_time() > 0


def test_request_when_drop_fault_raises_network_error(sim: SimHandle, ex: Any) -> None:
    sim.add_fault(method="GET", path="/api/v3/time", action="drop")

    with pytest.raises(ccxt.NetworkError):
        ex.fetch_time()
    assert ex.fetch_time() > 0


def test_create_order_when_execute_then_error_fault_order_exists_despite_error(
    sim: SimHandle, ex: Any
) -> None:
    sim.add_fault(method="POST", path="/api/v3/order", action="execute_then_error")

    with pytest.raises(ccxt.ExchangeNotAvailable):
        ex.create_order("BTC/USDT", "market", "buy", 0.001, params={"clientOrderId": "ambig-1"})

    found = ex.fetch_order(None, "BTC/USDT", params={"clientOrderId": "ambig-1"})
    assert found["status"] == "closed"
    assert sim.account_state()["orders"][0]["clientOrderId"] == "ambig-1"


def test_request_when_delay_fault_longer_than_timeout_raises_request_timeout(
    sim: SimHandle,
) -> None:
    client = _fresh(sim, timeout=200)
    sim.add_fault(method="GET", path="/api/v3/time", action="delay", delay_ms=800, count=1)

    with pytest.raises(ccxt.RequestTimeout):
        client.fetch_time()


def test_faults_when_probability_given_repeat_the_same_pattern_after_clear(
    sim: SimHandle, ex: Any
) -> None:
    def pattern() -> list[bool]:
        sim.clear_faults()
        sim.add_fault(method="GET", path="/api/v3/ping", probability=0.5)
        outcome = []
        for _ in range(24):
            try:
                ex.public_get_ping()
                outcome.append(True)
            except ccxt.ExchangeNotAvailable:
                outcome.append(False)
        return outcome

    first = pattern()

    assert first == pattern()
    assert 0 < sum(first) < 24
