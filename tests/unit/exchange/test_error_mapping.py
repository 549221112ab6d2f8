"""ccxt exception → connector taxonomy, driven through ccxt's own Binance error handling."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import ccxt
import pytest

from imb_bot.exchange.ccxt_adapter import Scrubber, build_ccxt_client, translate_ccxt_error
from imb_bot.exchange.config import BINANCE_SPOT, ConnectorConfig
from imb_bot.exchange.errors import (
    DuplicateOrderError,
    ExchangeAuthError,
    ExchangeError,
    InsufficientFundsError,
    InvalidRequestError,
    OrderNotFoundError,
    OrderOutcomeUnknownError,
    RateLimitedError,
    TimestampError,
    TransientError,
    UnexpectedExchangeError,
    UnknownSymbolError,
)
from imb_bot.secrets import ExchangeCredentials

KEY = "unit-key-AAAA1111"
SECRET = "unit-secret-BBBB2222"
URL = "http://127.0.0.1:9/api/v3/order?symbol=BTCUSDT&timestamp=1&signature=abcdef0123"


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    scrub = Scrubber([KEY, SECRET])
    exchange = build_ccxt_client(
        ConnectorConfig(base_url="http://127.0.0.1:9"), ExchangeCredentials(KEY, SECRET), scrub
    )
    yield exchange
    exchange.session = None  # never opened: nothing to close


def _raised_by(
    client: Any, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None
) -> ccxt.BaseError:
    # Run ccxt's real response handling (handle_errors, then the HTTP status table).
    text = body if isinstance(body, str) else json.dumps(body)
    parsed = body if isinstance(body, dict) else None
    with pytest.raises(ccxt.BaseError) as info:
        client.handle_errors(status, "reason", URL, "POST", headers or {}, text, parsed, {}, None)
        client.handle_http_status_code(status, "reason", URL, "POST", text)
    return info.value


def _translate(exc: BaseException, *, submission: bool = False) -> ExchangeError:
    return translate_ccxt_error(
        exc,
        operation="op",
        venue=BINANCE_SPOT,
        scrub=Scrubber([KEY, SECRET]),
        submission=submission,
        client_order_id="cid-1",
        symbol="NOPE/USDT",
    )


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"code": -1121, "msg": "Invalid symbol."}, UnknownSymbolError),
        (400, {"code": -1013, "msg": "Filter failure: NOTIONAL"}, InvalidRequestError),
        (400, {"code": -1013, "msg": "Filter failure: LOT_SIZE"}, InvalidRequestError),
        (400, {"code": -1102, "msg": "Mandatory parameter"}, InvalidRequestError),
        (
            400,
            {"code": -2010, "msg": "Account has insufficient balance for requested action."},
            InsufficientFundsError,
        ),
        (400, {"code": -2010, "msg": "Duplicate order sent."}, DuplicateOrderError),
        (400, {"code": -2013, "msg": "Order does not exist."}, OrderNotFoundError),
        (400, {"code": -2011, "msg": "Unknown order sent."}, OrderNotFoundError),
        (
            400,
            {"code": -1022, "msg": "Signature for this request is not valid."},
            ExchangeAuthError,
        ),
        (401, {"code": -2014, "msg": "API-key format invalid."}, ExchangeAuthError),
        (401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions."}, ExchangeAuthError),
        (400, {"code": -1021, "msg": "Timestamp outside of the recvWindow."}, TimestampError),
        (429, {"code": -1003, "msg": "Too many requests."}, RateLimitedError),
        (418, {"code": -1003, "msg": "IP banned until 1."}, RateLimitedError),
        (400, {"code": -1015, "msg": "Too many new orders."}, RateLimitedError),
        (503, "Service Unavailable", TransientError),
        (503, {"code": -1008, "msg": "Server is currently overloaded."}, TransientError),
        (500, "Internal Server Error", TransientError),
        (504, "Gateway Timeout", TransientError),
        (400, {"code": -9999, "msg": "Something new."}, UnexpectedExchangeError),
    ],
)
def test_translate_when_exchange_answers_error_maps_to_taxonomy_class(
    client: Any, status: int, body: dict[str, Any] | str, expected: type[ExchangeError]
) -> None:
    error = _translate(_raised_by(client, status, body))

    assert type(error) is expected
    assert error.operation == "op"
    assert error.http_status == status


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, "Service Unavailable"),
        (500, {"code": -1000, "msg": "An unknown error occurred."}),
        (503, {"code": -1008, "msg": "Server is currently overloaded."}),
        (400, {"code": -1007, "msg": "Timeout waiting for response from backend server."}),
    ],
)
def test_translate_when_order_submission_hits_server_error_outcome_unknown(
    client: Any, status: int, body: dict[str, Any] | str
) -> None:
    error = _translate(_raised_by(client, status, body), submission=True)

    assert isinstance(error, OrderOutcomeUnknownError)
    assert error.client_order_id == "cid-1"


@pytest.mark.parametrize(
    "exc",
    [
        ccxt.RequestTimeout("binance POST http://h/api/v3/order"),
        ccxt.NetworkError("binance POST http://h/api/v3/order"),
        ccxt.ExchangeNotAvailable("binance POST http://h/api/v3/order"),
        TimeoutError(),
        aiohttp.ServerDisconnectedError(),
    ],
)
def test_translate_when_submission_loses_connection_outcome_unknown(exc: BaseException) -> None:
    assert isinstance(_translate(exc, submission=True), OrderOutcomeUnknownError)
    assert type(_translate(exc)) is TransientError


def test_translate_when_bare_exchange_error_caused_by_payload_error_is_ambiguous() -> None:
    exc = ccxt.ExchangeError("binance GET http://h/api/v3/klines")
    exc.__cause__ = aiohttp.ClientPayloadError("cut short")

    assert type(_translate(exc)) is TransientError
    assert isinstance(_translate(exc, submission=True), OrderOutcomeUnknownError)


def test_translate_when_submission_rate_limited_not_outcome_unknown(client: Any) -> None:
    exc = _raised_by(client, 429, {"code": -1015, "msg": "Too many orders"}, {"Retry-After": "3"})

    error = _translate(exc, submission=True)

    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 3.0


def test_translate_when_429_has_retry_after_header_reads_seconds(client: Any) -> None:
    exc = _raised_by(client, 429, {"code": -1003, "msg": "Too many"}, {"retry-after": "12"})

    error = _translate(exc)

    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 12.0
    assert error.retryable


def test_translate_when_429_without_retry_after_retry_after_none(client: Any) -> None:
    error = _translate(_raised_by(client, 429, {"code": -1003, "msg": "Too many"}))

    assert isinstance(error, RateLimitedError)
    assert error.retry_after is None


def test_translate_when_ccxt_turns_2015_into_ddos_protection_still_auth_error(client: Any) -> None:
    client.options["hasAlreadyAuthenticatedSuccessfully"] = True
    try:
        exc = _raised_by(client, 401, {"code": -2015, "msg": "Invalid API-key."})
    finally:
        client.options["hasAlreadyAuthenticatedSuccessfully"] = False

    assert isinstance(exc, ccxt.DDoSProtection)  # ccxt's quirk
    assert isinstance(_translate(exc), ExchangeAuthError)


def test_translate_when_local_bad_symbol_names_the_symbol() -> None:
    error = _translate(ccxt.BadSymbol("binance does not have market symbol NOPE/USDT"))

    assert isinstance(error, UnknownSymbolError)
    assert str(error) == "unknown symbol NOPE/USDT"


def test_translate_when_missing_credentials_auth_error() -> None:
    error = _translate(ccxt.AuthenticationError('binance requires "apiKey" credential'))

    assert isinstance(error, ExchangeAuthError)


def test_translate_when_closed_by_user_unexpected_error() -> None:
    error = _translate(ccxt.ExchangeClosedByUser("binance instance was closed by the user"))

    assert isinstance(error, UnexpectedExchangeError)
    assert "closed" in str(error)


def test_translate_when_message_has_url_query_and_secrets_sanitises_text() -> None:
    exc = ccxt.ExchangeNotAvailable(f"binance GET {URL} 503 {KEY} {SECRET}")

    error = _translate(exc)

    text = str(error) + repr(error)
    assert KEY not in text
    assert SECRET not in text
    assert "signature" not in text
    assert "/api/v3/order" in text


def test_translate_when_body_has_binance_msg_message_names_it(client: Any) -> None:
    error = _translate(_raised_by(client, 400, {"code": -1013, "msg": "Filter failure: NOTIONAL"}))

    assert "Filter failure: NOTIONAL" in str(error)
    assert error.code == -1013
    assert str(error).startswith("op failed:")


def test_translate_when_ccxt_wraps_transport_error_message_names_the_cause() -> None:
    exc = ccxt.ExchangeNotAvailable("binance GET http://h/api/v3/time")
    exc.__cause__ = ConnectionRefusedError("Connect call failed ('127.0.0.1', 8100)")

    error = _translate(exc)

    assert str(error) == (
        "op failed: GET http://h/api/v3/time: ConnectionRefusedError: Connect call failed "
        "('127.0.0.1', 8100) [ExchangeNotAvailable]"
    )
