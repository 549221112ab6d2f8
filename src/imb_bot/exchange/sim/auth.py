"""Binance request signing: HMAC-SHA256 over query string + body, timestamp/recvWindow checks."""

from __future__ import annotations

import hashlib
import hmac
import re

from imb_bot.exchange.sim.errors import BAD_SIGNATURE, BinanceError, mandatory_param

__all__ = ["check_timestamp", "sign", "signed_payload", "verify_signature"]

MAX_RECV_WINDOW_MS = 60_000
DEFAULT_RECV_WINDOW_MS = 5_000
_SIGNATURE_PART = re.compile(rb"(^|&)signature=[^&]*")


def sign(secret: str, payload: str | bytes) -> str:
    """Return the lowercase hex HMAC-SHA256 of ``payload`` under ``secret``."""
    data = payload.encode() if isinstance(payload, str) else payload
    return hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def signed_payload(query: bytes, body: bytes) -> bytes:
    """Return what Binance signs: the query string then the body, each without ``signature``."""
    # fast path: ccxt (like most clients) appends the signature as the very last parameter
    last = body or query
    cut = last.rfind(b"&signature=")
    if cut > 0 and last.find(b"&", cut + 1) < 0 and b"signature=" not in last[:cut]:
        if not body:
            return query[:cut]
        if b"signature=" not in query:
            return query + body[:cut]
    if b"signature=" in query:
        query = _SIGNATURE_PART.sub(b"", query).lstrip(b"&")
    if b"signature=" in body:
        body = _SIGNATURE_PART.sub(b"", body).lstrip(b"&")
    return query + body


def verify_signature(secret: str, payload: bytes, signature: str | None) -> None:
    """Check ``signature`` (hex, any case) against the payload.

    Raises:
        BinanceError: -1102 when missing, -1022 when it does not match.
    """
    if not signature:
        raise mandatory_param("signature")
    expected = sign(secret, payload)
    if not hmac.compare_digest(expected, signature.lower()):
        raise BinanceError(400, -1022, BAD_SIGNATURE)


def check_timestamp(timestamp: str | None, recv_window: str | None, server_ms: int) -> None:
    """Apply Binance's rule ``timestamp < server + 1000 and server − timestamp <= recvWindow``.

    Raises:
        BinanceError: -1102 missing/malformed timestamp, -1100/-1131 bad recvWindow, -1021 outside.
    """
    if not timestamp or not timestamp.isdigit():
        raise mandatory_param("timestamp")
    window = DEFAULT_RECV_WINDOW_MS
    if recv_window:
        try:
            window = int(float(recv_window))
        except ValueError:
            raise mandatory_param("recvWindow") from None
        if window > MAX_RECV_WINDOW_MS or window <= 0:
            raise BinanceError(400, -1131, "recvWindow must be less than 60000")
    sent = int(timestamp)
    if sent >= server_ms + 1000:
        raise BinanceError(
            400, -1021, "Timestamp for this request was 1000ms ahead of the server's time."
        )
    if server_ms - sent > window:
        raise BinanceError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
