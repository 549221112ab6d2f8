"""Binance error responses: one exception type carrying HTTP status, error code and message.

Messages are Binance's exact wording (see ``docs/simulator.md``); ccxt maps several of them by
message text, so they must not be paraphrased.
"""

from __future__ import annotations

__all__ = [
    "BAD_SIGNATURE",
    "DUPLICATE_ORDER",
    "INSUFFICIENT_BALANCE",
    "INVALID_SYMBOL",
    "NO_SUCH_ORDER",
    "UNKNOWN_ORDER",
    "BinanceError",
    "bad_param",
    "filter_failure",
    "mandatory_param",
]

INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."
DUPLICATE_ORDER = "Duplicate order sent."
INVALID_SYMBOL = "Invalid symbol."
NO_SUCH_ORDER = "Order does not exist."
UNKNOWN_ORDER = "Unknown order sent."
BAD_SIGNATURE = "Signature for this request is not valid."


class BinanceError(Exception):
    """A rejected request, answered as ``{"code": code, "msg": msg}`` with HTTP ``status``."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(f"{status} {code} {msg}")
        self.status = status
        self.code = code
        self.msg = msg


def mandatory_param(name: str) -> BinanceError:
    """Return the -1102 error for a missing or empty mandatory parameter."""
    return BinanceError(
        400,
        -1102,
        f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.",
    )


def bad_param(name: str, legal: str) -> BinanceError:
    """Return the -1100 error for a parameter whose value has an illegal form."""
    return BinanceError(
        400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


def filter_failure(filter_type: str) -> BinanceError:
    """Return the -1013 error Binance sends when an order breaks a symbol filter."""
    return BinanceError(400, -1013, f"Filter failure: {filter_type}")
