"""Crash-safe state file: JSON written to a temp file, fsynced, then renamed over the old one.

A reader (or a restart after SIGKILL) sees either the previous complete state or the new one,
never a torn write.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

__all__ = ["STATE_VERSION", "load_state", "save_state"]

STATE_VERSION = 1


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Atomically replace ``path`` with ``state`` as JSON (temp file + fsync + os.replace)."""
    data = json.dumps({"version": STATE_VERSION, **state}, separators=(",", ":")).encode()
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_state(path: Path) -> dict[str, Any] | None:
    """Return the saved state, or None if the file does not exist.

    Raises:
        ValueError: the file is not a state file of a supported version.
    """
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_bytes())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"state file {str(path)!r} is unreadable: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        raise ValueError(f"state file {str(path)!r} is not a simulator state (version 1)")
    return data
