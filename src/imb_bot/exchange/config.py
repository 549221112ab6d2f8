"""Connector configuration and the venue's quirks, as frozen typed data.

``ConnectorConfig`` holds what an operator may tune; ``VenueCapabilities`` holds what differs
between Binance-compatible venues (limits, error codes), so code never special-cases a venue by
name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from imb_bot.config.settings import BINANCE_SPOT_TESTNET_URL, KLINE_INTERVALS, Settings
from imb_bot.exchange.retry import RetryPolicy

__all__ = ["BINANCE_SPOT", "ConnectorConfig", "VenueCapabilities"]

# Hosts of real-money Binance venues: the connector refuses them (testnet/simulator only).
_PRODUCTION_HOST_SUFFIXES = ("binance.com", "binance.us", "binance.me", "binance.info")


@dataclass(frozen=True, slots=True)
class VenueCapabilities:
    """Limits and error codes of a Binance-compatible Spot REST API."""

    ccxt_id: str = "binance"
    max_klines_per_request: int = 1000  # GET /api/v3/klines limit cap
    order_book_depths: tuple[int, ...] = (5, 10, 20, 50, 100, 500, 1000, 5000)
    timeframes: tuple[str, ...] = KLINE_INTERVALS
    # Codes that always mean bad credentials. ccxt turns -2015 into DDoSProtection once a private
    # call has succeeded; we keep it an authentication error (stop and alert, never hammer).
    auth_error_codes: frozenset[int] = frozenset({-1022, -2014, -2015})
    timestamp_error_code: int = -1021
    rate_limit_codes: frozenset[int] = frozenset({-1003, -1015})
    unknown_symbol_codes: frozenset[int] = frozenset({-1121})
    order_not_found_codes: frozenset[int] = frozenset({-2011, -2013})
    # Server-side problems; for an order submission they mean "execution status unknown".
    server_error_codes: frozenset[int] = frozenset({-1000, -1001, -1006, -1007, -1008})
    duplicate_order_msg: str = "Duplicate order sent."  # -2010: client order id already used
    client_order_id_max_length: int = 36


BINANCE_SPOT = VenueCapabilities()


def _check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL with a host, got {url!r}")
    host = parts.hostname.lower()
    if any(host == s or host.endswith("." + s) for s in _PRODUCTION_HOST_SUFFIXES):
        raise ValueError(
            f"base_url {url!r} is a production Binance host; only the Spot Testnet "
            f"({BINANCE_SPOT_TESTNET_URL}) or a local simulator is allowed"
        )
    if parts.path not in ("", "/"):
        raise ValueError(f"base_url must not have a path (no /api/v3), got {url!r}")
    return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class ConnectorConfig:
    """Tunable behaviour of :class:`~imb_bot.exchange.connector.ExchangeConnector`.

    Fields:
        base_url: Binance-compatible REST base URL without ``/api/v3``; production hosts refused.
        request_timeout_ms: per-HTTP-request timeout; a stalled order submission → outcome unknown.
        markets_ttl_s: age after which the cached markets (exchangeInfo) are reloaded.
        time_sync_interval_s: age after which the server-time offset is re-measured.
        recv_window_ms: Binance ``recvWindow`` for signed requests (max 60000).
        enable_client_rate_limit: ccxt's client-side throttle (off only for loopback tests).
        read_retry: backoff for idempotent reads; order submissions are never retried.
        venue: limits and error codes of the venue.
    """

    base_url: str = BINANCE_SPOT_TESTNET_URL
    request_timeout_ms: int = 10_000
    markets_ttl_s: float = 3600.0
    time_sync_interval_s: float = 600.0
    recv_window_ms: int = 10_000
    enable_client_rate_limit: bool = True
    read_retry: RetryPolicy = field(default_factory=RetryPolicy)
    venue: VenueCapabilities = BINANCE_SPOT

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", _check_base_url(self.base_url))
        if self.request_timeout_ms <= 0:
            raise ValueError(f"request_timeout_ms must be > 0, got {self.request_timeout_ms}")
        if not 0 < self.recv_window_ms <= 60_000:
            raise ValueError(f"recv_window_ms must be within 1..60000, got {self.recv_window_ms}")
        if self.markets_ttl_s <= 0 or self.time_sync_interval_s <= 0:
            raise ValueError("markets_ttl_s and time_sync_interval_s must be > 0")

    @property
    def is_binance_testnet(self) -> bool:
        """True when talking to the real Binance Spot Testnet (not a simulator)."""
        return self.base_url == BINANCE_SPOT_TESTNET_URL

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectorConfig:
        """Build the config from the ``IMB_EXCHANGE_*`` settings, other fields at their defaults."""
        return cls(
            base_url=settings.exchange_url,
            request_timeout_ms=settings.exchange_timeout_ms,
            recv_window_ms=settings.exchange_recv_window_ms,
            enable_client_rate_limit=settings.exchange_client_rate_limit,
        )
