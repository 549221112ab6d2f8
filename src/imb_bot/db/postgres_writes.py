"""PostgreSQL's write path: each order write is ONE statement, committed on its own.

The generic write path (:class:`imb_bot.db.store.Store` over the repositories) runs one
transaction of several statements: ``BEGIN``, a locking read, the trades, the order, the event,
the position, ``COMMIT``. Against a server each is a network round trip, and that was most of the
per-order cost (``bench/bench_db.py``: p99 5.5 ms against a 5 ms target). Here each write is one
statement whose data-modifying CTEs do all of it, sent in autocommit mode: PostgreSQL runs a
single statement atomically (it all commits or none of it does), so the guarantees are the same
as the transaction's, in one round trip. ``docs/decisions/0004-postgres-single-statement-writes.md``
explains the choice.

These methods only cover the normal case. When the statement finds nothing to act on (the client
order id is already stored, or unknown, or stored for another symbol) it writes nothing and says
so; the store then runs the generic path, which raises the precise error or compares the stored
intent. Every statement's parameters are typed with the table's column types, so money is
validated and rounded and times must be aware exactly as on the generic path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, Table, TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Boolean, String, TypeEngine

from imb_bot.config import TradingMode
from imb_bot.core.models import Balance, Fill, Order, OrderStatus
from imb_bot.db.engine import json_dumps
from imb_bot.db.models import OrderEventRow, OrderRow, PositionRow, TradeRow
from imb_bot.db.records import FillsRecorded, PositionState
from imb_bot.db.repositories import order_values, position_values
from imb_bot.db.types import Money, UTCDateTime

__all__ = ["PostgresWrites"]

_orders: Table = OrderRow.__table__  # type: ignore[assignment]
_events: Table = OrderEventRow.__table__  # type: ignore[assignment]
_trades: Table = TradeRow.__table__  # type: ignore[assignment]
_positions: Table = PositionRow.__table__  # type: ignore[assignment]

_ORDER_COLUMNS = tuple(c.name for c in _orders.columns if c.name != "id")
# Every position column but the key's mode, which comes from the order row.
_POSITION_VALUES = tuple(c.name for c in _positions.columns if c.name not in ("id", "mode"))

# The intent: the order row and its INTENT event, or nothing when the client order id is taken.
_INSERT_INTENT = text(
    f"""
    WITH inserted AS (
        INSERT INTO orders ({", ".join(_ORDER_COLUMNS)})
        VALUES ({", ".join(f":{name}" for name in _ORDER_COLUMNS)})
        ON CONFLICT (client_order_id) DO NOTHING
        RETURNING id, status, created_at
    )
    INSERT INTO order_events (order_id, at, kind, from_status, to_status, payload)
    SELECT id, created_at, 'INTENT', NULL, status, CAST(:event_payload AS jsonb) FROM inserted
    RETURNING order_id
    """  # noqa: S608 (composed from this module's constants only, as below)
).bindparams(*(bindparam(name, type_=_orders.c[name].type) for name in _ORDER_COLUMNS))

# Lock the order (of the expected symbol, when one is given), update it, and keep the status and
# exchange order id it had before: the event records the transition, trades default to the id.
_LOCK_AND_UPDATE_ORDER = """
    locked AS (
        SELECT id, status, exchange_order_id FROM orders
        WHERE client_order_id = :client_order_id
          AND (:expected_symbol IS NULL OR symbol = :expected_symbol)
        FOR UPDATE
    ),
    updated AS (
        UPDATE orders SET
            status = :status,
            updated_at = :at,
            exchange_order_id = COALESCE(:exchange_order_id, orders.exchange_order_id)
            {extra_set}
        FROM locked
        WHERE orders.id = locked.id
        RETURNING orders.id, orders.mode, orders.symbol, orders.client_order_id,
                  locked.status AS from_status, locked.exchange_order_id AS old_exchange_order_id
    )"""

_ORDER_UPDATE_PARAMS = (
    bindparam("client_order_id", type_=String()),
    bindparam("expected_symbol", type_=String()),
    bindparam("status", type_=String()),
    bindparam("at", type_=UTCDateTime()),
    bindparam("exchange_order_id", type_=String()),
)

# A status change without fills: the order row and a STATUS event.
_UPDATE_STATUS = text(
    f"""
    WITH {_LOCK_AND_UPDATE_ORDER.format(extra_set="")}
    INSERT INTO order_events (order_id, at, kind, from_status, to_status, payload)
    SELECT id, :at, 'STATUS', from_status, :status, CAST(:event_payload AS jsonb)
    FROM updated
    RETURNING order_id
    """  # noqa: S608
).bindparams(*_ORDER_UPDATE_PARAMS)

_FILL_ARRAYS: dict[str, TypeEngine[Any]] = {
    "trade_id": ARRAY(String()),
    "exchange_order_id": ARRAY(String()),
    "side": ARRAY(String()),
    "price": ARRAY(Money()),
    "quantity": ARRAY(Money()),
    "quote_quantity": ARRAY(Money()),
    "fee": ARRAY(Money()),
    "fee_asset": ARRAY(String()),
    "is_maker": ARRAY(Boolean()),
    "executed_at": ARRAY(UTCDateTime()),
}

# The position upsert: the same transitions as the generic path's (repositories._Upserts):
# opened_at is taken when the position goes from flat to open, closed_at when it goes flat.
_UPSERT_POSITION = f"""
    , position AS (
        INSERT INTO positions (mode, {", ".join(_POSITION_VALUES)})
        SELECT mode, {", ".join(f":position_{name}" for name in _POSITION_VALUES)}
        FROM updated
        ON CONFLICT (mode, symbol) DO UPDATE SET
            quantity = EXCLUDED.quantity,
            cost_basis_quote = EXCLUDED.cost_basis_quote,
            average_entry_price = EXCLUDED.average_entry_price,
            realized_pnl_quote = EXCLUDED.realized_pnl_quote,
            fees_quote = EXCLUDED.fees_quote,
            status = EXCLUDED.status,
            updated_at = EXCLUDED.updated_at,
            opened_at = CASE
                WHEN EXCLUDED.quantity <> 0 AND positions.quantity = 0 THEN EXCLUDED.opened_at
                ELSE positions.opened_at END,
            closed_at = CASE
                WHEN EXCLUDED.quantity <> 0 THEN NULL
                WHEN positions.quantity <> 0 THEN :position_closing_at
                ELSE positions.closed_at END
    )"""  # noqa: S608


# The PAPER account's balances after the fills, absolute values upserted by asset.
_UPSERT_PAPER_BALANCES = """
    , paper_balances AS (
        INSERT INTO paper_balances (asset, free, locked, updated_at)
        SELECT asset, free, locked, :at
        FROM unnest(:balance_asset, :balance_free, :balance_locked) AS b(asset, free, locked)
        WHERE EXISTS (SELECT FROM updated)
        ON CONFLICT (asset) DO UPDATE SET
            free = EXCLUDED.free, locked = EXCLUDED.locked, updated_at = EXCLUDED.updated_at
    )"""


def _fills_statement(*, with_position: bool, with_balances: bool) -> TextClause:
    # New trades are inserted in the given order; ones already stored are skipped. The event's
    # payload lists which were new and which duplicates, in the given order.
    fill_columns = ", ".join(_FILL_ARRAYS)
    statement = text(
        f"""
        WITH {
            _LOCK_AND_UPDATE_ORDER.format(
                extra_set=", filled_quantity = :filled_quantity, average_price = "
                "COALESCE(:average_price, orders.average_price)"
            )
        },
        fills AS (
            SELECT * FROM unnest({", ".join(f":fill_{name}" for name in _FILL_ARRAYS)})
                WITH ORDINALITY AS f({fill_columns}, n)
        ),
        new_trades AS (
            INSERT INTO trades (mode, symbol, order_id, client_order_id, trade_id,
                exchange_order_id, side, price, quantity, quote_quantity, fee, fee_asset,
                is_maker, executed_at)
            SELECT u.mode, u.symbol, u.id, u.client_order_id, f.trade_id,
                COALESCE(f.exchange_order_id, u.old_exchange_order_id), f.side, f.price,
                f.quantity, f.quote_quantity, f.fee, f.fee_asset, f.is_maker, f.executed_at
            FROM updated u CROSS JOIN fills f
            ORDER BY f.n
            ON CONFLICT (mode, symbol, trade_id) DO NOTHING
            RETURNING trade_id
        ),
        event AS (
            INSERT INTO order_events (order_id, at, kind, from_status, to_status, payload)
            SELECT id, :at, 'FILLS', from_status, :status, CAST(:event_payload AS jsonb)
                || jsonb_build_object(
                    'new_trade_ids', COALESCE((SELECT jsonb_agg(trade_id ORDER BY n) FROM fills
                        WHERE trade_id IN (SELECT trade_id FROM new_trades)), '[]'),
                    'duplicate_trade_ids', COALESCE((SELECT jsonb_agg(trade_id ORDER BY n)
                        FROM fills WHERE trade_id NOT IN (SELECT trade_id FROM new_trades)), '[]'))
            FROM updated
        )
        {_UPSERT_POSITION if with_position else ""}
        {_UPSERT_PAPER_BALANCES if with_balances else ""}
        SELECT ARRAY(SELECT trade_id FROM new_trades) FROM updated
        """  # noqa: S608
    ).bindparams(
        *_ORDER_UPDATE_PARAMS,
        bindparam("filled_quantity", type_=Money()),
        bindparam("average_price", type_=Money()),
        *(bindparam(f"fill_{name}", type_=array) for name, array in _FILL_ARRAYS.items()),
    )
    if with_position:
        statement = statement.bindparams(
            *(
                bindparam(f"position_{name}", type_=_positions.c[name].type)
                for name in _POSITION_VALUES
            ),
            bindparam("position_closing_at", type_=UTCDateTime()),
        )
    if with_balances:
        statement = statement.bindparams(
            bindparam("balance_asset", type_=ARRAY(String())),
            bindparam("balance_free", type_=ARRAY(Money())),
            bindparam("balance_locked", type_=ARRAY(Money())),
        )
    return statement


# (with a position, with paper balances) → statement
_RECORD_FILLS = {
    (position, balances): _fills_statement(with_position=position, with_balances=balances)
    for position in (False, True)
    for balances in (False, True)
}


class PostgresWrites:
    """The store's order writes on PostgreSQL, one autocommitted statement each.

    Each method returns what it wrote, or a "not done" value when the statement matched nothing
    (and therefore wrote nothing); the caller then takes the generic path for the exact answer.
    Database errors propagate unchanged for the store's retry and error mapping.
    """

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError(f"PostgresWrites needs a postgresql engine, not {engine.dialect.name}")
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")

    def insert_intent(self, order: Order, mode: TradingMode, run_id: int | None) -> bool:
        """Insert the intent and its event; False (nothing written) when the id is stored."""
        values = order_values(order, mode, run_id)
        values["event_payload"] = json_dumps({"run_id": run_id})
        with self._engine.connect() as connection:
            return connection.execute(_INSERT_INTENT, values).first() is not None

    def update_status(
        self,
        client_order_id: str,
        status: OrderStatus,
        exchange_order_id: str | None,
        payload: Mapping[str, Any],
        at: datetime,
    ) -> bool:
        """Set the order's status (and exchange id) with its event; False when it is unknown."""
        values = {
            "client_order_id": client_order_id,
            "expected_symbol": None,
            "status": status.value,
            "at": at,
            "exchange_order_id": exchange_order_id,
            "event_payload": json_dumps(payload),
        }
        with self._engine.connect() as connection:
            return connection.execute(_UPDATE_STATUS, values).first() is not None

    def record_fills(
        self,
        client_order_id: str,
        symbol: str | None,
        fills: Sequence[Fill],
        *,
        order_status: OrderStatus,
        filled_quantity: Decimal,
        average_price: Decimal | None,
        position_update: PositionState | None,
        paper_balances: Sequence[Balance],
        opening_at: datetime,
        closing_at: datetime,
        at: datetime,
    ) -> FillsRecorded | None:
        """Store new fills, the order state, the position and PAPER balances atomically.

        ``symbol`` is the symbol every fill and the position are for (None when there are
        neither); an order stored for another symbol, or not at all, gives None and no write.
        """
        unique = list({fill.trade_id: fill for fill in reversed(fills)}.values())[::-1]
        values: dict[str, Any] = {
            "client_order_id": client_order_id,
            "expected_symbol": symbol,
            "status": order_status.value,
            "at": at,
            "exchange_order_id": next(
                (f.exchange_order_id for f in fills if f.exchange_order_id), None
            ),
            "filled_quantity": filled_quantity,
            "average_price": average_price,
            "event_payload": json_dumps(
                {"filled_quantity": filled_quantity, "average_price": average_price}
            ),
            "fill_trade_id": [f.trade_id for f in unique],
            "fill_exchange_order_id": [f.exchange_order_id or None for f in unique],
            "fill_side": [f.side.value for f in unique],
            "fill_price": [f.price for f in unique],
            "fill_quantity": [f.quantity for f in unique],
            "fill_quote_quantity": [f.quote_quantity for f in unique],
            "fill_fee": [f.fee for f in unique],
            "fill_fee_asset": [f.fee_asset for f in unique],
            "fill_is_maker": [f.is_maker for f in unique],
            "fill_executed_at": [f.executed_at for f in unique],
        }
        if position_update is not None:
            position = position_values(
                position_update, opening_at=opening_at, updated_at=position_update.updated_at or at
            )
            values |= {f"position_{name}": value for name, value in position.items()}
            values["position_closing_at"] = closing_at
        if paper_balances:
            values["balance_asset"] = [b.asset for b in paper_balances]
            values["balance_free"] = [b.free for b in paper_balances]
            values["balance_locked"] = [b.locked for b in paper_balances]
        statement = _RECORD_FILLS[position_update is not None, bool(paper_balances)]
        with self._engine.connect() as connection:
            row = connection.execute(statement, values).first()
        if row is None:
            return None
        new_ids = set(row[0])
        ordered_ids = [f.trade_id for f in unique]
        return FillsRecorded(
            new_trade_ids=tuple(i for i in ordered_ids if i in new_ids),
            duplicate_trade_ids=tuple(i for i in ordered_ids if i not in new_ids),
        )
