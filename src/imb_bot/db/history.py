"""Read side for the history API: filtered, keyset-paginated listings, newest first.

Pages are ordered by ``(time, id)`` descending; a cursor is the key of the last row returned, so
rows inserted later with a newer time never shift a walk that has started (no skips, no repeats),
and every page is an index range scan however deep it is.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, select, tuple_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from imb_bot.config import TradingMode
from imb_bot.core.models import OrderStatus, OrderType, Side, TimeInForce
from imb_bot.db.errors import StoreUnavailable
from imb_bot.db.models import OrderRow, TradeRow
from imb_bot.db.records import OrderRecord, Page, PositionRecord, TradeRecord
from imb_bot.db.repositories import PositionRepository

__all__ = [
    "MAX_PAGE_SIZE",
    "Cursor",
    "HistoryFilter",
    "HistoryQueries",
    "InvalidCursorError",
    "decode_cursor",
    "encode_cursor",
]

MAX_PAGE_SIZE = 500
T = TypeVar("T")

# Enum members by stored value: a dict lookup is several times cheaper than calling the enum.
_MODES = {m.value: m for m in TradingMode}
_SIDES = {s.value: s for s in Side}
_TYPES = {t.value: t for t in OrderType}
_STATUSES = {s.value: s for s in OrderStatus}
_TIME_IN_FORCE = {t.value: t for t in TimeInForce}


class InvalidCursorError(ValueError):
    """The cursor was not produced by this API (or was altered)."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """Key of the last row of a page: its time and id."""

    at: datetime
    id: int


def encode_cursor(cursor: Cursor) -> str:
    """Return the opaque form: urlsafe base64 (no padding) of ``[iso_time, id]``."""
    raw = json.dumps([cursor.at.astimezone(UTC).isoformat(), cursor.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """Parse an opaque cursor; raise InvalidCursorError on anything this API did not produce."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        at_text, row_id = json.loads(raw)
        at = datetime.fromisoformat(at_text)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidCursorError("invalid cursor") from exc
    if (
        at.tzinfo is None
        or not isinstance(row_id, int)
        or isinstance(row_id, bool)
        or not 0 < row_id < 2**63
    ):
        raise InvalidCursorError("invalid cursor")
    return Cursor(at=at.astimezone(UTC), id=row_id)


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """Filters of a history listing; None means "any". ``since`` inclusive, ``until`` exclusive."""

    symbol: str | None = None
    mode: TradingMode | None = None
    side: Side | None = None
    status: OrderStatus | None = None  # orders only
    since: datetime | None = None
    until: datetime | None = None


class HistoryQueries:
    """Read-only queries; each call uses its own short session (safe from any thread)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def list_orders(
        self, filters: HistoryFilter, *, limit: int = 100, cursor: str | None = None
    ) -> Page[OrderRecord]:
        """Return one page of orders, newest ``created_at`` first.

        ``cursor`` is the ``next_cursor`` of the previous page; InvalidCursorError if altered.
        """
        conditions = _common_conditions(filters, OrderRow.created_at, OrderRow)
        if filters.status is not None:
            conditions.append(OrderRow.status == filters.status.value)
        statement = select(*_ORDER_COLUMNS)
        return self._page(
            statement=statement,
            conditions=conditions,
            time_column=OrderRow.created_at,
            id_column=OrderRow.id,
            limit=limit,
            cursor=cursor,
            to_record=_order_record,
        )

    def list_trades(
        self, filters: HistoryFilter, *, limit: int = 100, cursor: str | None = None
    ) -> Page[TradeRecord]:
        """Return one page of trades, newest ``executed_at`` first."""
        if filters.status is not None:
            raise ValueError("trades have no status filter")
        conditions = _common_conditions(filters, TradeRow.executed_at, TradeRow)
        statement = select(*_TRADE_COLUMNS)
        return self._page(
            statement=statement,
            conditions=conditions,
            time_column=TradeRow.executed_at,
            id_column=TradeRow.id,
            limit=limit,
            cursor=cursor,
            to_record=_trade_record,
        )

    def list_positions(self, mode: TradingMode | None = None) -> list[PositionRecord]:
        """Return the stored positions (of one mode, or all), ordered by mode and symbol."""
        with self._read() as session:
            return PositionRepository(session).list(mode)

    def _page(
        self,
        *,
        statement: Select[*tuple[Any, ...]],
        conditions: list[ColumnElement[bool]],
        time_column: InstrumentedAttribute[datetime],
        id_column: InstrumentedAttribute[int],
        limit: int,
        cursor: str | None,
        to_record: Callable[[Any], T],
    ) -> Page[T]:
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
        if cursor is not None:
            key = decode_cursor(cursor)
            conditions.append(tuple_(time_column, id_column) < tuple_(key.at, key.id))
        statement = (
            statement.where(*conditions)
            .order_by(time_column.desc(), id_column.desc())
            .limit(limit + 1)
        )
        with self._read() as session:
            # Core execution on the session's connection: the ORM result layer adds nothing here.
            rows = session.connection().execute(statement).all()
        more = len(rows) > limit
        rows = rows[:limit]
        next_cursor = None
        if more:
            *_, last_time, last_id = rows[-1]  # the key columns come last
            next_cursor = encode_cursor(Cursor(at=last_time, id=last_id))
        return Page(items=[to_record(row) for row in rows], next_cursor=next_cursor)

    def _read(self) -> _ReadSession:
        return _ReadSession(self._sessions)


class _ReadSession:
    # A short read-only session; driver errors become StoreUnavailable (the API answers 503).

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._session = sessions()

    def __enter__(self) -> Session:
        return self._session

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        try:
            self._session.rollback()
        finally:
            self._session.close()
        if isinstance(exc, DBAPIError):
            raise StoreUnavailable(f"the database cannot serve this read: {exc.orig}") from exc


def _common_conditions(
    filters: HistoryFilter, time_column: InstrumentedAttribute[datetime], table: Any
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.symbol is not None:
        conditions.append(table.symbol == filters.symbol)
    if filters.mode is not None:
        conditions.append(table.mode == filters.mode.value)
    if filters.side is not None:
        conditions.append(table.side == filters.side.value)
    if filters.since is not None:
        conditions.append(time_column >= filters.since)
    if filters.until is not None:
        conditions.append(time_column < filters.until)
    return conditions


_ORDER_COLUMNS = (
    OrderRow.client_order_id,
    OrderRow.exchange_order_id,
    OrderRow.mode,
    OrderRow.symbol,
    OrderRow.side,
    OrderRow.type,
    OrderRow.time_in_force,
    OrderRow.quantity,
    OrderRow.quote_quantity,
    OrderRow.price,
    OrderRow.status,
    OrderRow.filled_quantity,
    OrderRow.average_price,
    OrderRow.reason,
    OrderRow.strategy,
    OrderRow.updated_at,
    OrderRow.created_at,  # key: time, then id, last
    OrderRow.id,
)
_TRADE_COLUMNS = (
    TradeRow.trade_id,
    TradeRow.client_order_id,
    TradeRow.exchange_order_id,
    TradeRow.mode,
    TradeRow.symbol,
    TradeRow.side,
    TradeRow.price,
    TradeRow.quantity,
    TradeRow.quote_quantity,
    TradeRow.fee,
    TradeRow.fee_asset,
    TradeRow.is_maker,
    TradeRow.executed_at,  # key: time, then id, last
    TradeRow.id,
)


def _order_record(row: Any) -> OrderRecord:
    # Positional unpacking: several times cheaper than attribute access on each Row.
    (cid, xid, mode, symbol, side, type_, tif, qty, quote_qty, price, status, filled, avg,
     reason, strategy, updated_at, created_at, _) = row  # fmt: skip
    return OrderRecord(
        cid,
        xid,
        _MODES[mode],
        symbol,
        _SIDES[side],
        _TYPES[type_],
        _TIME_IN_FORCE.get(tif),
        qty,
        quote_qty,
        price,
        _STATUSES[status],
        filled,
        avg,
        reason,
        strategy,
        created_at,
        updated_at,
    )


def _trade_record(row: Any) -> TradeRecord:
    (trade_id, cid, xid, mode, symbol, side, price, qty, quote_qty, fee, fee_asset, maker,
     executed_at, _) = row  # fmt: skip
    return TradeRecord(
        trade_id,
        cid,
        xid,
        _MODES[mode],
        symbol,
        _SIDES[side],
        price,
        qty,
        quote_qty,
        fee,
        fee_asset,
        maker,
        executed_at,
    )
