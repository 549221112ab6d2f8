"""Exceptions of the store; each docstring says what the caller should do about it."""

from __future__ import annotations

__all__ = [
    "DuplicateClientOrderIdError",
    "InvalidRecordError",
    "StoreError",
    "StoreUnavailable",
    "UnknownOrderError",
]


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""


class StoreUnavailable(StoreError):  # noqa: N818 - the name is the engine contract
    """The database could not be reached or used, even after bounded retries.

    Nothing of the failed call was written (its transaction was rolled back). Consequence: the
    engine must not send an order whose intent is not stored; it switches to REDUCING (or HALTED
    if the store stays down) and alerts. Safe to call again later: every write is idempotent.
    """


class DuplicateClientOrderIdError(StoreError):
    """An order with this ``client_order_id`` is stored with different content.

    Consequence: a bug in client-order-id generation; do not send the order, stop and alert.
    Recording the *same* intent twice is not an error (it is a no-op).
    """


class UnknownOrderError(StoreError):
    """No order with this ``client_order_id`` is stored.

    Consequence: a bug in the caller (record the intent before anything else); nothing written.
    """


class InvalidRecordError(StoreError):
    """The database rejected the values (constraint, range or type); nothing was written.

    Consequence: a bug in the caller; not retried.
    """
