"""Persistence: SQLAlchemy 2 models, repositories / unit of work, Alembic migrations.

May import ``core`` and ``config``. Money columns are NUMERIC; times are timezone-aware UTC.
The write path is :class:`Store` (sync) / :class:`AsyncStore` (one worker thread); see
``docs/schema.md`` for the tables and the crash-safety contract.

Names are imported on first use, so ``imb-bot`` commands that never touch the database (and the
``db`` sub-command's help) do not pay for importing SQLAlchemy and Alembic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imb_bot.db.async_store import AsyncStore
    from imb_bot.db.errors import (
        DuplicateClientOrderIdError,
        InvalidRecordError,
        StoreError,
        StoreUnavailable,
        UnknownOrderError,
    )
    from imb_bot.db.history import Cursor, HistoryFilter, HistoryQueries, InvalidCursorError
    from imb_bot.db.migrate import current_revision, downgrade, head_revision, upgrade_to_head
    from imb_bot.db.records import (
        FillsRecorded,
        OrderRecord,
        Page,
        PositionRecord,
        PositionState,
        PositionStatus,
        RiskEventRecord,
        TradeRecord,
    )
    from imb_bot.db.store import RetryPolicy, Store

_MODULE_OF = {
    "AsyncStore": "async_store",
    "Cursor": "history",
    "DuplicateClientOrderIdError": "errors",
    "FillsRecorded": "records",
    "HistoryFilter": "history",
    "HistoryQueries": "history",
    "InvalidCursorError": "history",
    "InvalidRecordError": "errors",
    "OrderRecord": "records",
    "Page": "records",
    "PositionRecord": "records",
    "PositionState": "records",
    "PositionStatus": "records",
    "RetryPolicy": "store",
    "RiskEventRecord": "records",
    "Store": "store",
    "StoreError": "errors",
    "StoreUnavailable": "errors",
    "TradeRecord": "records",
    "UnknownOrderError": "errors",
    "current_revision": "migrate",
    "downgrade": "migrate",
    "head_revision": "migrate",
    "upgrade_to_head": "migrate",
}

__all__ = [
    "AsyncStore",
    "Cursor",
    "DuplicateClientOrderIdError",
    "FillsRecorded",
    "HistoryFilter",
    "HistoryQueries",
    "InvalidCursorError",
    "InvalidRecordError",
    "OrderRecord",
    "Page",
    "PositionRecord",
    "PositionState",
    "PositionStatus",
    "RetryPolicy",
    "RiskEventRecord",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "TradeRecord",
    "UnknownOrderError",
    "current_revision",
    "downgrade",
    "head_revision",
    "upgrade_to_head",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
