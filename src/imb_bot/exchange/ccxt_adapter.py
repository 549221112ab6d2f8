"""The only module that touches ccxt: build the client, translate its exceptions, scrub its logs.

Importing this module imports ccxt (~3 s), so the rest of the package imports it lazily.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import ccxt
import ccxt.async_support as ccxt_async

from imb_bot.exchange.config import ConnectorConfig, VenueCapabilities
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

__all__ = ["Scrubber", "build_ccxt_client", "translate_ccxt_error"]

_REDACTED = "***"
_URL_QUERY = re.compile(r"(https?://[^\s?\"']+)\?[^\s\"']*")
_SIGNATURE = re.compile(r"signature=[0-9a-fA-F]+")
_API_KEY_HEADER = re.compile(r"(['\"]?X-MBX-APIKEY['\"]?\s*[:=]\s*['\"]?)[^'\",\s}]+", re.I)
_JSON_OBJECT = re.compile(r"\{.*\}", re.S)
_MAX_MESSAGE_CHARS = 400


class Scrubber:
    """Removes secret values, query strings, signatures and API-key headers from text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first so that a secret containing another is fully masked.
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def __repr__(self) -> str:
        return f"Scrubber({len(self._secrets)} secrets)"

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _REDACTED)
        text = _URL_QUERY.sub(r"\1", text)
        text = _SIGNATURE.sub("signature=" + _REDACTED, text)
        return _API_KEY_HEADER.sub(r"\1" + _REDACTED, text)


class _ScrubbingLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """ccxt's logger, formatting and scrubbing each record before it exists (DEBUG logs the
    request headers, including the API key)."""

    def __init__(self, logger: logging.Logger, scrub: Scrubber) -> None:
        super().__init__(logger, {})
        self._scrub = scrub

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.logger.isEnabledFor(level):
            return
        text = str(msg) % args if args else str(msg)
        kwargs.pop("extra", None)
        self.logger.log(level, self._scrub(text), **kwargs)


@dataclass(frozen=True, slots=True)
class _Response:
    # What the exchange answered when ccxt raised: attached to the exception itself, so
    # concurrent requests cannot mix it up (unlike exchange.last_response_headers).
    http_status: int | None
    code: int | None
    msg: str | None
    retry_after_s: float | None


_RESPONSE_ATTR = "_imb_response"


def _parse_retry_after(headers: Mapping[str, Any] | None) -> float | None:
    if not headers:
        return None
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _code_and_msg(body: Any) -> tuple[int | None, str | None]:
    if isinstance(body, str):
        match = _JSON_OBJECT.search(body)
        if match is None:
            return None, None
        try:
            body = json.loads(match.group(0))
        except ValueError:
            return None, None
    if not isinstance(body, Mapping):
        return None, None
    code, msg = body.get("code"), body.get("msg")
    try:
        code_int = int(code) if code is not None else None
    except (TypeError, ValueError):
        code_int = None
    return code_int, (str(msg) if msg is not None else None)


def _annotate(exc: BaseException, status: int | None, headers: Any, body: Any) -> None:
    if getattr(exc, _RESPONSE_ATTR, None) is not None:
        return
    code, msg = _code_and_msg(body)
    setattr(exc, _RESPONSE_ATTR, _Response(status, code, msg, _parse_retry_after(headers)))


class _AnnotatingBinance(ccxt_async.binance):  # type: ignore[misc]
    """ccxt's Binance client that records the HTTP status, Binance code and Retry-After on the
    exception it raises."""

    def handle_errors(  # noqa: PLR0917 - ccxt's signature
        self,
        code: int,
        reason: str,
        url: str,
        method: str,
        headers: dict[str, Any],
        body: str,
        response: object,
        request_headers: object,
        request_body: object,
    ) -> Any:
        try:
            return super().handle_errors(
                code, reason, url, method, headers, body, response, request_headers, request_body
            )
        except ccxt.BaseError as e:
            _annotate(e, code, headers, response if response is not None else body)
            raise

    def handle_http_status_code(
        self, code: int, reason: str, url: str, method: str, body: str
    ) -> Any:
        try:
            return super().handle_http_status_code(code, reason, url, method, body)
        except ccxt.BaseError as e:
            _annotate(e, code, None, body)
            raise


def build_ccxt_client(
    config: ConnectorConfig, credentials: ExchangeCredentials | None, scrub: Scrubber
) -> Any:
    """Return an async ccxt Binance client for ``config.base_url``, spot markets only.

    Sandbox mode is set first (it replaces the URL table), then a non-testnet base URL (the
    simulator) overrides the spot REST URLs. Futures/margin/currency endpoints are never called.
    """
    options = {
        "fetchMarkets": {"types": ["spot"]},
        "fetchCurrencies": False,
        "fetchMargins": False,
        "adjustForTimeDifference": False,  # the connector syncs the clock itself
        "recvWindow": config.recv_window_ms,
        "fetchOpenOrders": {"warnWithoutSymbol": False},
        "newOrderRespType": {"market": "FULL", "limit": "FULL"},
    }
    params: dict[str, Any] = {
        "timeout": config.request_timeout_ms,
        "enableRateLimit": config.enable_client_rate_limit,
        "options": options,
    }
    if credentials is not None:
        params["apiKey"] = credentials.api_key
        params["secret"] = credentials.api_secret
    client = _AnnotatingBinance(params)
    client.set_sandbox_mode(True)
    if not config.is_binance_testnet:
        base = config.base_url
        client.urls["api"].update(
            {"public": f"{base}/api/v3", "private": f"{base}/api/v3", "v1": f"{base}/api/v1"}
        )
    if config.base_url.startswith("http://"):
        client.timeout_on_exit = 0  # no TLS shutdown to wait for on plain HTTP
    client.logger = _ScrubbingLogger(logging.getLogger("ccxt.base.exchange"), scrub)
    return client


def _reason(exc: BaseException, response: _Response | None, scrub: Scrubber) -> str:
    if response is not None and response.msg:
        text = response.msg
        if response.code is not None:
            text = f"{text} (code {response.code})"
    else:
        text = str(exc).removeprefix("binance ").strip() or type(exc).__name__
        cause = exc.__cause__
        if cause is not None and not isinstance(cause, ccxt.BaseError):
            # The transport failure ccxt wrapped: "Cannot connect to host …", a timeout, …
            detail = str(cause).strip()
            text = f"{text}: {type(cause).__name__}" + (f": {detail}" if detail else "")
    if response is not None and response.http_status is not None:
        text = f"HTTP {response.http_status}: {text}"
    text = scrub(text)
    if len(text) > _MAX_MESSAGE_CHARS:
        text = text[:_MAX_MESSAGE_CHARS] + "…"
    return f"{text} [{type(exc).__name__}]"


def _is_ambiguous(
    exc: BaseException, status: int | None, code: int | None, venue: VenueCapabilities
) -> bool:
    # True when the request may have reached the matching engine without us seeing the result.
    if status is not None and status >= 500:
        return True
    if code is not None and code in venue.server_error_codes:
        return True
    if isinstance(exc, ccxt.OperationFailed | asyncio.TimeoutError | aiohttp.ClientError):
        return True  # timeouts, refused/dropped connections, 5xx, garbled answers
    # ccxt wraps aiohttp errors other than connection errors (e.g. a body cut short) in a bare
    # ExchangeError.
    return type(exc) is ccxt.ExchangeError and isinstance(
        exc.__cause__, asyncio.TimeoutError | aiohttp.ClientError
    )


def translate_ccxt_error(
    exc: BaseException,
    *,
    operation: str,
    venue: VenueCapabilities,
    scrub: Scrubber,
    submission: bool = False,
    client_order_id: str = "",
    symbol: str | None = None,
) -> ExchangeError:
    """Map a ccxt (or aiohttp/asyncio) exception to the connector's taxonomy.

    ``submission`` marks an order placement: anything that may have executed becomes
    :class:`OrderOutcomeUnknownError` instead of a retryable :class:`TransientError`.
    """
    response: _Response | None = getattr(exc, _RESPONSE_ATTR, None)
    status = response.http_status if response else None
    code = response.code if response else _code_and_msg(str(exc))[0]
    message = f"{operation} failed: {_reason(exc, response, scrub)}"
    common: dict[str, Any] = {"operation": operation, "code": code, "http_status": status}

    if status in (418, 429) or (
        isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded)
        and code not in venue.auth_error_codes
    ):
        retry_after = response.retry_after_s if response else None
        return RateLimitedError(message, retry_after=retry_after, **common)
    if code in venue.rate_limit_codes:
        return RateLimitedError(message, **common)
    if code in venue.auth_error_codes or isinstance(exc, ccxt.AuthenticationError):
        return ExchangeAuthError(message, **common)
    if code == venue.timestamp_error_code or isinstance(exc, ccxt.InvalidNonce):
        return TimestampError(message, **common)
    if code in venue.unknown_symbol_codes or isinstance(exc, ccxt.BadSymbol):
        return UnknownSymbolError(symbol or "?", **common)
    if code in venue.order_not_found_codes or isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFoundError(message, **common)
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFundsError(message, **common)
    if isinstance(exc, ccxt.DuplicateOrderId) or (
        response is not None and response.msg == venue.duplicate_order_msg
    ):
        return DuplicateOrderError(message, **common)
    if isinstance(exc, ccxt.ExchangeClosedByUser):
        return UnexpectedExchangeError(f"{operation} failed: the connector is closed", **common)
    if _is_ambiguous(exc, status, code, venue):
        if submission:
            return OrderOutcomeUnknownError(message, client_order_id=client_order_id, **common)
        return TransientError(message, **common)
    if isinstance(
        exc,
        ccxt.BadRequest
        | ccxt.InvalidOrder
        | ccxt.ArgumentsRequired
        | ccxt.OperationRejected
        | ccxt.NotSupported,
    ):
        return InvalidRequestError(message, **common)
    return UnexpectedExchangeError(message, **common)
