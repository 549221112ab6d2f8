"""Bulk loading of historical rows (backfills, benchmarks, tests): COPY on PostgreSQL.

This bypasses the write path (no order events, no positions): use it only to load history.
Values go through the columns' own bind processing, so they are stored exactly as the store
stores them (UTC text times and exact decimals on SQLite, NUMERIC / timestamptz on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import Any

from sqlalchemy import Engine, Table

from imb_bot.config import TradingMode
from imb_bot.core.models import Order
from imb_bot.db.models import OrderRow
from imb_bot.db.repositories import order_values

__all__ = ["bulk_insert", "bulk_insert_orders"]


def _batches(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _bind_processor(table: Table, column: str, engine: Engine) -> Callable[[Any], Any] | None:
    # The dialect's own processor (e.g. SQLite's fixed-width DATETIME text), not the generic one:
    # stored values must compare exactly like the ones the store writes.
    dialect = engine.dialect
    return table.c[column].type.dialect_impl(dialect).bind_processor(dialect)


def _memoised(process: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    # History repeats values (symbols, prices, quantities); converting each distinct value once
    # per batch makes seeding several times faster. Bounded by the batch size.
    if process is None:
        return lambda value: value
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = converted = process(value)
            return converted
        except TypeError:  # unhashable (e.g. a JSON payload)
            return process(value)

    return convert


def bulk_insert(
    engine: Engine, table: Table, rows: Iterable[Mapping[str, Any]], *, batch_size: int = 20_000
) -> int:
    """Insert ``rows`` (all with the same keys) into ``table``; return how many were inserted.

    One transaction per batch; PostgreSQL uses COPY, SQLite the driver's ``executemany`` (the
    column and table names come from the ``Table``, never from the rows' values).
    """
    total = 0
    for batch in _batches(rows, batch_size):
        columns = list(batch[0])
        converters = [_memoised(_bind_processor(table, name, engine)) for name in columns]
        values = [
            [convert(row[name]) for name, convert in zip(columns, converters, strict=True)]
            for row in batch
        ]
        names = ", ".join(f'"{name}"' for name in columns)
        with engine.begin() as connection:
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                if engine.dialect.name == "postgresql":
                    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                        for value in values:
                            copy.write_row(value)
                else:
                    marks = ", ".join("?" for _ in columns)
                    cursor.executemany(
                        f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',  # noqa: S608
                        values,
                    )
            finally:
                cursor.close()
        total += len(batch)
    return total


def bulk_insert_orders(
    engine: Engine,
    orders: Iterable[Order],
    mode: TradingMode,
    *,
    run_id: int | None = None,
    batch_size: int = 20_000,
) -> int:
    """Insert historical ``orders`` of ``mode``; return how many were inserted."""
    table: Table = OrderRow.__table__  # type: ignore[assignment]
    rows = (order_values(order, mode, run_id) for order in orders)
    return bulk_insert(engine, table, rows, batch_size=batch_size)
