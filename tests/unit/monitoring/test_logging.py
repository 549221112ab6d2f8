import io
import json
import logging
from collections.abc import Iterator

import pytest

from imb_bot.config.settings import LogFormat
from imb_bot.monitoring.logging import configure_logging, log_event


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _capture(fmt: LogFormat, secrets: tuple[str, ...] = ()) -> io.StringIO:
    stream = io.StringIO()
    configure_logging("DEBUG", fmt, secrets, stream=stream)
    return stream


def test_json_log_line_has_utc_time_level_logger_event_and_context() -> None:
    stream = _capture(LogFormat.JSON)
    log_event(logging.getLogger("imb_bot.test"), logging.INFO, "order_sent", symbol="BTC/USDT")
    record = json.loads(stream.getvalue().splitlines()[-1])
    assert record["event"] == "order_sent"
    assert record["level"] == "INFO"
    assert record["logger"] == "imb_bot.test"
    assert record["symbol"] == "BTC/USDT"
    assert record["ts"].endswith("+00:00")


def test_redaction_when_secret_in_message_context_or_exception_masks_it() -> None:
    stream = _capture(LogFormat.JSON, ("hunter2-CANARY",))
    log = logging.getLogger("imb_bot.test")
    log.warning("key is %s", "hunter2-CANARY")
    log_event(log, logging.INFO, "ctx", detail={"nested": "x hunter2-CANARY y"})
    try:
        raise ValueError("bad hunter2-CANARY")
    except ValueError:
        log.exception("failed")
    out = stream.getvalue()
    assert "hunter2-CANARY" not in out
    assert out.count("***") >= 3


def test_console_format_is_human_readable() -> None:
    stream = _capture(LogFormat.CONSOLE)
    log_event(logging.getLogger("imb_bot.test"), logging.INFO, "started", mode="PAPER")
    line = stream.getvalue().splitlines()[-1]
    assert "INFO" in line and "started" in line and "mode=PAPER" in line
