"""Register secret values with the log redaction filters already installed on the root logger."""

from __future__ import annotations

import logging
from collections.abc import Iterable

__all__ = ["register_with_log_redaction"]


def register_with_log_redaction(values: Iterable[str]) -> int:
    """Add ``values`` to every redaction filter on the root logger's handlers.

    A redaction filter is any handler filter with an ``add_secret(str)`` method (see
    ``imb_bot.monitoring.logging.SecretRedactingFilter``). Returns how many filters were updated;
    0 means logging was not configured with redaction yet (values are then not registered).
    """
    plain = [v for v in values if v]
    updated = 0
    for handler in logging.getLogger().handlers:
        for log_filter in handler.filters:
            add_secret = getattr(log_filter, "add_secret", None)
            if callable(add_secret):
                for value in plain:
                    add_secret(value)
                updated += 1
    return updated
