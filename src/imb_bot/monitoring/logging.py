"""Structured logging: JSON lines (or a console format) on stdout, with secret redaction.

Usage: ``configure_logging(settings)`` once at start-up; then ``log.info("order_sent",
extra={"ctx": {...}})`` or :func:`log_event`. The event name is the message; context fields go in
``extra["ctx"]`` and appear as top-level JSON keys.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from imb_bot.config.settings import LogFormat

REDACTED = "***"
_STD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {
    "message",
    "asctime",
    "ctx",
    "color_message",  # uvicorn's ANSI-coloured duplicate of the message
}


class SecretRedactingFilter(logging.Filter):
    """Replace every configured secret value in a record (message, args, context) by '***'."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first so that a secret containing another is fully masked.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def add_secret(self, secret: str) -> None:
        """Also redact ``secret`` from now on."""
        if secret and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._secrets:
                if secret in value:
                    value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, dict):
            return {k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._scrub(v) for v in value)
        if isinstance(value, int | float | bool) or value is None:
            return value
        return self._scrub(str(value))

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        record.msg = self._scrub(record.getMessage())
        record.args = None
        ctx = getattr(record, "ctx", None)
        if ctx is not None:
            record.ctx = self._scrub(ctx)
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self._scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC ISO-8601), level, logger, event, then context fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        ctx = getattr(record, "ctx", None)
        if isinstance(ctx, dict):
            payload.update(ctx)
        for key, value in record.__dict__.items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            payload["exc"] = record.exc_text
        return json.dumps(payload, default=str, separators=(",", ":"))


class ConsoleFormatter(logging.Formatter):
    """Human-readable: ``2026-01-01T00:00:00.000Z INFO  logger  event key=value …``."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        ctx = getattr(record, "ctx", None)
        fields = " ".join(f"{k}={v}" for k, v in ctx.items()) if isinstance(ctx, dict) else ""
        line = f"{ts}Z {record.levelname:<7} {record.name}  {record.getMessage()}"
        if fields:
            line += "  " + fields
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        elif record.exc_text:
            line += "\n" + record.exc_text
        return line


_handler_marker = "_imb_handler"


def configure_logging(
    level: str = "INFO",
    fmt: LogFormat = LogFormat.JSON,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
) -> SecretRedactingFilter:
    """Install one stdout handler on the root logger (replacing ours if called again)."""
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, _handler_marker, False):
            root.removeHandler(existing)
    handler = logging.StreamHandler(stream or sys.stdout)
    setattr(handler, _handler_marker, True)
    handler.setFormatter(JsonFormatter() if fmt == LogFormat.JSON else ConsoleFormatter())
    redactor = SecretRedactingFilter(secrets)
    handler.addFilter(redactor)
    root.addHandler(handler)
    root.setLevel(level)
    # Third-party loggers that are chatty at INFO.
    for noisy in ("uvicorn.access", "httpx", "ccxt.base.exchange"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return redactor


def log_event(logger: logging.Logger, level: int, event: str, **ctx: Any) -> None:
    """Log ``event`` with context fields, skipping all formatting when the level is disabled."""
    if logger.isEnabledFor(level):
        logger.log(level, event, extra={"ctx": ctx})
