"""The connector's boundary with ccxt: one client, every error translated, reads retried, the
exchange clock tracked.

Order submissions go through :meth:`Transport.call` (never retried); idempotent reads through
:meth:`Transport.read`. A ``-1021`` timestamp rejection re-syncs the clock offset once and repeats
that one request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from imb_bot.exchange.config import ConnectorConfig
from imb_bot.exchange.errors import TimestampError, TransientError
from imb_bot.exchange.results import ConnectorStats
from imb_bot.exchange.retry import Sleep, retry_async
from imb_bot.secrets import ExchangeCredentials, register_with_log_redaction

__all__ = ["Transport"]

log = logging.getLogger("imb_bot.exchange.connector")


class Transport:
    """A ccxt Binance client behind the connector's rules (see module docstring)."""

    def __init__(
        self, config: ConnectorConfig, credentials: ExchangeCredentials | None, *, sleep: Sleep
    ) -> None:
        from imb_bot.exchange import ccxt_adapter  # imports ccxt (slow): only when connecting

        secret_values = credentials.secret_values() if credentials is not None else ()
        register_with_log_redaction(secret_values)
        self._adapter = ccxt_adapter
        self.scrub = ccxt_adapter.Scrubber(secret_values)
        self.client: Any = ccxt_adapter.build_ccxt_client(config, credentials, self.scrub)
        self.config = config
        self.has_credentials = credentials is not None
        self.stats = ConnectorStats()
        self.offset_ms: int | None = None  # exchange clock minus local clock
        self._offset_synced_at: float | None = None
        self._sleep = sleep
        self._closed = False

    async def close(self) -> None:
        """Release the HTTP session (idempotent)."""
        if not self._closed:
            self._closed = True
            await self.client.close()

    async def call(
        self,
        operation: str,
        fn: Callable[..., Awaitable[Any]],
        *args: Any,
        submission: bool = False,
        client_order_id: str = "",
        symbol: str | None = None,
        resync_on_timestamp: bool = True,
    ) -> Any:
        """Send one request ``fn(*args)``; translate any failure into the taxonomy.

        ``submission`` marks an order placement (ambiguous failures → outcome unknown).
        """
        resynced = not resync_on_timestamp
        while True:
            self.stats.requests[operation] += 1
            try:
                return await fn(*args)
            except Exception as e:
                error = self._adapter.translate_ccxt_error(
                    e,
                    operation=operation,
                    venue=self.config.venue,
                    scrub=self.scrub,
                    submission=submission,
                    client_order_id=client_order_id,
                    symbol=symbol,
                )
                if isinstance(error, TimestampError) and not resynced:
                    resynced = True
                    await self.sync_time()
                    self.stats.clock_resyncs += 1
                    continue
                self.stats.errors[type(error).__name__] += 1
                raise error from e

    async def read(
        self,
        operation: str,
        fn: Callable[..., Awaitable[Any]],
        *args: Any,
        symbol: str | None = None,
    ) -> Any:
        """Send an idempotent request, retried on TransientError per ``config.read_retry``."""

        def on_retry(retry_number: int, delay_s: float, error: TransientError) -> None:
            self.stats.retries[operation] += 1
            log.warning(
                "exchange_retry",
                extra={
                    "ctx": {
                        "operation": operation,
                        "retry": retry_number,
                        "delay_s": round(delay_s, 3),
                        "error": str(error),
                    }
                },
            )

        return await retry_async(
            lambda: self.call(operation, fn, *args, symbol=symbol),
            self.config.read_retry,
            sleep=self._sleep,
            on_retry=on_retry,
        )

    async def sync_time(self) -> int:
        """Measure the exchange clock offset (midpoint of one GET /api/v3/time round trip) and
        hand it to ccxt, which signs requests with ``local time - timeDifference``."""
        before = self.client.milliseconds()
        server_ms = await self.call("fetch_time", self.client.fetch_time, resync_on_timestamp=False)
        after = self.client.milliseconds()
        offset = int(server_ms - (before + after) / 2)
        self.offset_ms = offset
        self._offset_synced_at = time.monotonic()
        self.client.options["timeDifference"] = -offset
        return offset

    async def ensure_time_synced(self) -> None:
        """Re-measure the offset if never done or older than ``time_sync_interval_s``."""
        synced_at = self._offset_synced_at
        if synced_at is None or time.monotonic() - synced_at > self.config.time_sync_interval_s:
            await retry_async(self.sync_time, self.config.read_retry, sleep=self._sleep)

    def server_now_ms(self) -> int:
        """Exchange server time now, from the local clock and the last measured offset."""
        return int(self.client.milliseconds()) + (self.offset_ms or 0)
