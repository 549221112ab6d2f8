"""Repositories: one per table family, translating rows to and from domain objects.

They only execute statements on the unit of work's session; they never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, Table, and_, bindparam, case, not_, null, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from imb_bot.config import TradingMode
from imb_bot.core.models import Balance, Fill, Order, OrderStatus, OrderType, Side, TimeInForce
from imb_bot.db.models import (
    BotRunRow,
    OrderEventRow,
    OrderRow,
    PaperBalanceRow,
    PositionRow,
    RiskEventRow,
    TradeRow,
)
from imb_bot.db.records import (
    PositionRecord,
    PositionState,
    PositionStatus,
    RiskEventRecord,
)
from imb_bot.db.types import Money, UTCDateTime

__all__ = [
    "NON_FINAL_STATUSES",
    "OrderEventRepository",
    "OrderRepository",
    "PaperBalanceRepository",
    "PositionRepository",
    "RiskEventRepository",
    "RunRepository",
    "TradeRepository",
]

NON_FINAL_STATUSES = tuple(s.value for s in OrderStatus if not s.is_final)

# Statements are built once and reused: SQLAlchemy then skips building and compiling them, which
# is most of the Python cost of a small write (see bench/bench_db.py).
_orders: Table = OrderRow.__table__  # type: ignore[assignment]
_events: Table = OrderEventRow.__table__  # type: ignore[assignment]
_trades: Table = TradeRow.__table__  # type: ignore[assignment]
_positions: Table = PositionRow.__table__  # type: ignore[assignment]
_risk_events: Table = RiskEventRow.__table__  # type: ignore[assignment]
_runs: Table = BotRunRow.__table__  # type: ignore[assignment]
_balances: Table = PaperBalanceRow.__table__  # type: ignore[assignment]

_UPDATE_ORDER = _orders.update().where(_orders.c.id == bindparam("order_pk"))
_INSERT_EVENT = _events.insert()
_INSERT_RISK_EVENT = _risk_events.insert()
_INSERT_RUN = _runs.insert().returning(_runs.c.id)
_STOP_RUN = _runs.update().where(_runs.c.id == bindparam("run_pk"))
_SELECT_ORDER = select(_orders).where(_orders.c.client_order_id == bindparam("cid"))
_SELECT_ORDER_FOR_UPDATE = _SELECT_ORDER.with_for_update()
_POSITION_SET_COLUMNS = (
    "quantity",
    "cost_basis_quote",
    "average_entry_price",
    "realized_pnl_quote",
    "fees_quote",
    "status",
    "updated_at",
)


class _Upserts:
    # INSERT … ON CONFLICT is dialect-specific in SQLAlchemy; both backends support it.

    def __init__(self, insert: Any) -> None:
        self.order = (
            insert(_orders)
            .on_conflict_do_nothing(index_elements=[_orders.c.client_order_id])
            .returning(_orders.c.id)
        )
        self.trades = (
            insert(_trades)
            .on_conflict_do_nothing(
                index_elements=[_trades.c.mode, _trades.c.symbol, _trades.c.trade_id]
            )
            .returning(_trades.c.trade_id)
        )
        balance = insert(_balances)
        self.paper_balance = balance.on_conflict_do_update(
            index_elements=[_balances.c.asset],
            set_={name: balance.excluded[name] for name in ("free", "locked", "updated_at")},
        )
        position = insert(_positions)
        # opened_at / closed_at follow the flat <-> open transition between the stored row and
        # the new state, decided inside the upsert (no read first): a position that opens takes
        # the proposed opened_at and clears closed_at; one that goes flat takes closing_at.
        zero = bindparam("position_zero", type_=Money())
        was_open = _positions.c.quantity != zero
        now_open = position.excluded.quantity != zero
        self.position = position.on_conflict_do_update(
            index_elements=[_positions.c.mode, _positions.c.symbol],
            set_={name: position.excluded[name] for name in _POSITION_SET_COLUMNS}
            | {
                "opened_at": case(
                    (and_(now_open, not_(was_open)), position.excluded.opened_at),
                    else_=_positions.c.opened_at,
                ),
                "closed_at": case(
                    (now_open, null()),
                    (was_open, bindparam("position_closing_at", type_=UTCDateTime())),
                    else_=_positions.c.closed_at,
                ),
            },
        )


_UPSERTS = {"postgresql": _Upserts(postgresql.insert), "sqlite": _Upserts(sqlite.insert)}


def _upserts(session: Session) -> _Upserts:
    name = session.get_bind().dialect.name
    try:
        return _UPSERTS[name]
    except KeyError:
        raise NotImplementedError(f"the store supports sqlite and postgresql, not {name}") from None


def order_values(order: Order, mode: TradingMode, run_id: int | None = None) -> dict[str, Any]:
    """Return the ``orders`` row of ``order`` as column values."""
    return {
        "client_order_id": order.client_order_id,
        "exchange_order_id": order.exchange_order_id,
        "run_id": run_id,
        "mode": mode.value,
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.type.value,
        "time_in_force": order.time_in_force.value if order.time_in_force else None,
        "quantity": order.quantity,
        "quote_quantity": order.quote_quantity,
        "price": order.price,
        "status": order.status.value,
        "filled_quantity": order.filled_quantity,
        "average_price": order.average_price,
        "reason": order.reason,
        "strategy": order.strategy,
        "created_at": order.created_at,
        "updated_at": order.updated_at or order.created_at,
    }


def position_values(
    state: PositionState, *, opening_at: datetime, updated_at: datetime
) -> dict[str, Any]:
    """Return the ``positions`` row of ``state`` as it is inserted (all but ``mode``).

    ``opened_at`` is ``opening_at`` when the state is open; the upsert keeps the stored one while
    the position stays open.
    """
    quantity = state.quantity
    return {
        "symbol": state.symbol,
        "quantity": quantity,
        "cost_basis_quote": state.cost_basis_quote,
        "average_entry_price": state.cost_basis_quote / quantity if quantity else None,
        "realized_pnl_quote": state.realized_pnl_quote,
        "fees_quote": state.fees_quote,
        "status": (PositionStatus.OPEN if quantity else PositionStatus.CLOSED).value,
        "opened_at": opening_at if quantity else None,
        "closed_at": None,
        "updated_at": updated_at,
    }


def order_from_row(row: OrderRow | Row[Any]) -> Order:
    """Rebuild the domain ``Order`` from a stored row."""
    return Order(
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=Side(row.side),
        type=OrderType(row.type),
        quantity=row.quantity,
        created_at=row.created_at,
        price=row.price,
        quote_quantity=row.quote_quantity,
        time_in_force=TimeInForce(row.time_in_force) if row.time_in_force else None,
        status=OrderStatus(row.status),
        exchange_order_id=row.exchange_order_id,
        filled_quantity=row.filled_quantity,
        average_price=row.average_price,
        reason=row.reason,
        strategy=row.strategy,
        updated_at=row.updated_at,
    )


def fill_from_row(row: TradeRow | Row[Any]) -> Fill:
    """Rebuild the domain ``Fill`` from a stored trade."""
    return Fill(
        trade_id=row.trade_id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=Side(row.side),
        price=row.price,
        quantity=row.quantity,
        fee=row.fee,
        fee_asset=row.fee_asset,
        executed_at=row.executed_at,
        exchange_order_id=row.exchange_order_id,
        quote_quantity=row.quote_quantity,
        is_maker=row.is_maker,
    )


class OrderRepository:
    """Orders: insert intents, update state, look up by client order id."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def insert_if_absent(self, order: Order, mode: TradingMode, run_id: int | None) -> int | None:
        """Insert ``order``; return its id, or None when the client order id is already stored."""
        values = order_values(order, mode, run_id)
        statement = _upserts(self._session).order
        new_id: int | None = self._session.execute(statement, values).scalar_one_or_none()
        return new_id

    def get(self, client_order_id: str, *, for_update: bool = False) -> Row[Any] | None:
        """Return the stored order row, optionally locking it for this transaction."""
        statement = _SELECT_ORDER_FOR_UPDATE if for_update else _SELECT_ORDER
        return self._session.execute(statement, {"cid": client_order_id}).one_or_none()

    def get_mode(self, client_order_id: str) -> TradingMode | None:
        """Return the mode the order was placed in, or None when it is not stored."""
        mode = self._session.execute(
            select(OrderRow.mode).where(OrderRow.client_order_id == client_order_id)
        ).scalar_one_or_none()
        return TradingMode(mode) if mode is not None else None

    def update_state(
        self,
        order_id: int,
        *,
        status: OrderStatus,
        updated_at: datetime,
        exchange_order_id: str | None = None,
        filled_quantity: Decimal | None = None,
        average_price: Decimal | None = None,
    ) -> None:
        """Set the order's status (and whichever of the other fields are given)."""
        values: dict[str, Any] = {
            "order_pk": order_id,
            "status": status.value,
            "updated_at": updated_at,
        }
        if exchange_order_id is not None:
            values["exchange_order_id"] = exchange_order_id
        if filled_quantity is not None:
            values["filled_quantity"] = filled_quantity
        if average_price is not None:
            values["average_price"] = average_price
        self._session.execute(_UPDATE_ORDER, values)

    def list_open(self, mode: TradingMode) -> list[Order]:
        """Return the orders of ``mode`` that can still change, oldest first."""
        rows = self._session.execute(
            select(_orders)
            .where(_orders.c.mode == mode.value, _orders.c.status.in_(NON_FINAL_STATUSES))
            .order_by(_orders.c.created_at, _orders.c.id)
        )
        return [order_from_row(row) for row in rows]


class OrderEventRepository:
    """Append-only order event log."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def append(
        self,
        order_id: int,
        *,
        at: datetime,
        kind: str,
        from_status: str | None,
        to_status: str,
        payload: Mapping[str, Any],
    ) -> None:
        """Append one event; events are never updated or deleted."""
        self._session.execute(
            _INSERT_EVENT,
            {
                "order_id": order_id,
                "at": at,
                "kind": kind,
                "from_status": from_status,
                "to_status": to_status,
                "payload": dict(payload),
            },
        )

    def list_for(self, order_id: int) -> list[OrderEventRow]:
        """Return the events of one order in the order they were written."""
        rows = self._session.execute(
            select(OrderEventRow)
            .where(OrderEventRow.order_id == order_id)
            .order_by(OrderEventRow.id)
        ).scalars()
        return list(rows)


class TradeRepository:
    """Trades (fills), unique per (mode, symbol, exchange trade id)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def insert_new(self, order: Row[Any], fills: Sequence[Fill]) -> set[str]:
        """Insert the fills not stored yet; return the trade ids that were inserted."""
        if not fills:
            return set()
        rows = [
            {
                "mode": order.mode,
                "symbol": order.symbol,
                "trade_id": fill.trade_id,
                "order_id": order.id,
                "client_order_id": order.client_order_id,
                "exchange_order_id": fill.exchange_order_id or order.exchange_order_id,
                "side": fill.side.value,
                "price": fill.price,
                "quantity": fill.quantity,
                "quote_quantity": fill.quote_quantity,
                "fee": fill.fee,
                "fee_asset": fill.fee_asset,
                "is_maker": fill.is_maker,
                "executed_at": fill.executed_at,
            }
            for fill in fills
        ]
        statement = _upserts(self._session).trades
        # One round trip for every fill (SQLAlchemy batches an executemany with RETURNING).
        return set(self._session.execute(statement, rows).scalars())

    def known_ids(self, mode: TradingMode, symbol: str, trade_ids: Iterable[str]) -> set[str]:
        """Return which of ``trade_ids`` are already stored for ``mode`` and ``symbol``."""
        wanted = list(dict.fromkeys(trade_ids))
        if not wanted:
            return set()
        rows = self._session.execute(
            select(TradeRow.trade_id).where(
                TradeRow.mode == mode.value,
                TradeRow.symbol == symbol,
                TradeRow.trade_id.in_(wanted),
            )
        ).scalars()
        return set(rows)

    def list_for_order(self, client_order_id: str) -> list[Fill]:
        """Return the fills of one order, oldest first."""
        rows = self._session.execute(
            select(_trades)
            .where(_trades.c.client_order_id == client_order_id)
            .order_by(_trades.c.executed_at, _trades.c.id)
        )
        return [fill_from_row(row) for row in rows]


class PositionRepository:
    """Positions: one row per (mode, symbol), overwritten with the latest state."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def upsert(
        self,
        mode: TradingMode,
        state: PositionState,
        *,
        opening_at: datetime,
        closing_at: datetime,
        updated_at: datetime,
    ) -> None:
        """Store ``state`` as the current position of its symbol in ``mode``.

        ``opened_at`` becomes ``opening_at`` when the position goes from flat (or absent) to
        open; ``closed_at`` becomes ``closing_at`` when it goes from open to flat.
        """
        values = position_values(state, opening_at=opening_at, updated_at=updated_at)
        values |= {
            "mode": mode.value,
            "position_zero": Decimal(0),
            "position_closing_at": closing_at,
        }
        self._session.execute(_upserts(self._session).position, values)

    def list(self, mode: TradingMode | None = None) -> list[PositionRecord]:
        """Return stored positions (of one mode, or all), ordered by mode and symbol."""
        statement = select(_positions).order_by(_positions.c.mode, _positions.c.symbol)
        if mode is not None:
            statement = statement.where(_positions.c.mode == mode.value)
        return [position_from_row(row) for row in self._session.execute(statement)]


def position_from_row(row: Row[Any]) -> PositionRecord:
    """Build the position record of a stored row."""
    return PositionRecord(
        mode=TradingMode(row.mode),
        symbol=row.symbol,
        quantity=row.quantity,
        cost_basis_quote=row.cost_basis_quote,
        average_entry_price=row.average_entry_price,
        realized_pnl_quote=row.realized_pnl_quote,
        fees_quote=row.fees_quote,
        status=PositionStatus(row.status),
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        updated_at=row.updated_at,
    )


class RiskEventRepository:
    """Risk rejections (append-only)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, event: RiskEventRecord) -> None:
        """Append one rejection."""
        self._session.execute(
            _INSERT_RISK_EVENT,
            {
                "run_id": event.run_id,
                "at": event.at,
                "mode": event.mode.value,
                "symbol": event.symbol,
                "code": event.code,
                "message": event.message,
                "signal": dict(event.signal),
            },
        )


class RunRepository:
    """Bot runs: one row per process lifetime."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def start(self, *, mode: TradingMode, config_hash: str, version: str, at: datetime) -> int:
        """Insert a run that started at ``at``; return its id."""
        run_id: int = self._session.execute(
            _INSERT_RUN,
            {"mode": mode.value, "config_hash": config_hash, "version": version, "started_at": at},
        ).scalar_one()
        return run_id

    def stop(self, run_id: int, *, at: datetime, reason: str) -> bool:
        """Mark the run stopped; return False when no such run exists."""
        result = self._session.execute(
            _STOP_RUN, {"run_pk": run_id, "stopped_at": at, "stop_reason": reason}
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def get(self, run_id: int) -> BotRunRow | None:
        """Return one run."""
        return self._session.get(BotRunRow, run_id)


class PaperBalanceRepository:
    """The PAPER account's balances, one row per asset."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def replace_all(self, balances: Iterable[Balance], at: datetime) -> None:
        """Store exactly ``balances`` (assets not listed are removed)."""
        rows = _balance_rows(balances, at)
        self._session.execute(_balances.delete())
        if rows:
            self._session.execute(_balances.insert(), rows)

    def upsert(self, balances: Iterable[Balance], at: datetime) -> None:
        """Store ``balances`` (one per asset); assets not listed keep their stored rows."""
        rows = _balance_rows(balances, at)
        if rows:
            self._session.execute(_upserts(self._session).paper_balance, rows)

    def load_all(self) -> dict[str, Balance]:
        """Return the stored balances by asset."""
        rows = self._session.execute(select(PaperBalanceRow).order_by(PaperBalanceRow.asset))
        return {
            row.asset: Balance(asset=row.asset, free=row.free, locked=row.locked)
            for row in rows.scalars()
        }


def _balance_rows(balances: Iterable[Balance], at: datetime) -> list[dict[str, Any]]:
    items = list(balances)
    assets = [b.asset for b in items]
    if len(set(assets)) != len(assets):
        raise ValueError(f"paper balances list an asset twice: {sorted(assets)}")
    return [{"asset": b.asset, "free": b.free, "locked": b.locked, "updated_at": at} for b in items]
