"""The connector's error taxonomy: one tree, each class stating what the caller must do.

Every ccxt exception is translated at the connector boundary into one of these (``raise … from
e``); no ccxt type leaks out. Messages are sanitised: no query strings, signatures, API keys or
secrets. The policy column of ``docs/exchange.md`` is decided here, in the class docstrings, and
applied in one place (:mod:`imb_bot.exchange.retry` and ``ExchangeConnector``).
"""

from __future__ import annotations

__all__ = [
    "DuplicateOrderError",
    "ExchangeAuthError",
    "ExchangeError",
    "InsufficientFundsError",
    "InvalidRequestError",
    "OrderNotFoundError",
    "OrderOutcomeUnknownError",
    "RateLimitedError",
    "TimestampError",
    "TransientError",
    "UnexpectedExchangeError",
    "UnknownSymbolError",
]


class ExchangeError(Exception):
    """Base of every connector error; never raised itself.

    ``operation`` names the connector call (``get_ticker``), ``code`` is Binance's numeric error
    code and ``http_status`` the HTTP status when the exchange answered.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        code: int | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.code = code
        self.http_status = http_status

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, operation={self.operation!r}, "
            f"code={self.code!r}, http_status={self.http_status!r})"
        )


class TransientError(ExchangeError):
    """The exchange was unreachable, slow, overloaded or in maintenance: retry later.

    Reads are retried automatically with bounded backoff; if this still escapes, skip this
    iteration and try again on the next one. Never raised for an order submission (see
    :class:`OrderOutcomeUnknownError`).
    """

    retryable = True


class RateLimitedError(TransientError):
    """The exchange refused the request for exceeding a rate limit (HTTP 429/418): back off.

    Wait at least ``retry_after`` seconds (from the ``Retry-After`` header; ``None`` when the
    exchange did not say) before sending anything else. The request was not executed, so an order
    may be re-submitted later with the same client order id.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        operation: str = "",
        code: int | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, operation=operation, code=code, http_status=http_status)
        self.retry_after = retry_after


class TimestampError(TransientError):
    """The request's timestamp was outside the exchange's receive window (Binance ``-1021``).

    The connector already re-synced its clock offset and retried once; if this escapes, the host
    clock is drifting: retry later and alert if it persists. The request was not executed.
    """


class ExchangeAuthError(ExchangeError):
    """The API key or secret is missing, wrong, or lacks permission: stop trading and alert.

    Retrying cannot help; an operator must fix the credentials.
    """


class InvalidRequestError(ExchangeError):
    """The exchange rejected the request as invalid (bad parameter, filter failure such as
    ``NOTIONAL`` or ``LOT_SIZE``, market closed): do not retry the same request.

    For an order: it was not executed; record it as REJECTED with this message.
    """


class DuplicateOrderError(InvalidRequestError):
    """An order with this client order id already exists on the exchange: do not re-submit.

    Resolve its state with ``fetch_order(client_order_id=…)`` (typical after a crash between
    sending an order and recording the answer).
    """


class UnknownSymbolError(InvalidRequestError):
    """The symbol is not a spot market of this exchange: fix the configuration or the request."""

    def __init__(
        self,
        symbol: str,
        *,
        operation: str = "",
        code: int | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(
            f"unknown symbol {symbol}", operation=operation, code=code, http_status=http_status
        )
        self.symbol = symbol


class InsufficientFundsError(ExchangeError):
    """The account lacks the balance for this order: do not retry; re-read balances and resize.

    The order was not executed; record it as REJECTED.
    """


class OrderNotFoundError(ExchangeError):
    """The exchange does not know this order (by exchange id or client id).

    For an order whose submission outcome is unknown this is evidence, not proof, that it never
    arrived: apply the bounded-checks policy before marking it REJECTED.
    """


class OrderOutcomeUnknownError(ExchangeError):
    """An order submission timed out, lost its connection or hit a 5xx: it may or may not have
    executed. Never re-submit blindly: resolve it with ``fetch_order(client_order_id=…)``.
    """

    def __init__(
        self,
        message: str,
        *,
        client_order_id: str = "",
        operation: str = "place_order",
        code: int | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message, operation=operation, code=code, http_status=http_status)
        self.client_order_id = client_order_id


class UnexpectedExchangeError(ExchangeError):
    """An error the taxonomy does not know (an unmapped exchange code, a closed connector):
    do not retry; log it and alert so the mapping can be extended.
    """
