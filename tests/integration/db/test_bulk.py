"""Bulk loading stores values exactly as the write path does (so keys compare correctly)."""

from __future__ import annotations

from sqlalchemy import text

from imb_bot.config import TradingMode
from imb_bot.db import Store
from imb_bot.db.bulk import bulk_insert_orders
from imb_bot.db.testing import T0, make_order


def test_bulk_insert_orders_when_same_values_as_write_path_stores_identical_column_values(
    store: Store,
) -> None:
    # Arrange
    store.record_intent(make_order("written", price="60000.50", created_at=T0), TradingMode.PAPER)

    # Act
    inserted = bulk_insert_orders(
        store.engine, [make_order("bulk", price="60000.50", created_at=T0)], TradingMode.PAPER
    )

    # Assert: compared as stored (SQLite text, PostgreSQL native), not as Python values
    with store.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT CAST(created_at AS TEXT), CAST(price AS TEXT), CAST(quantity AS TEXT) "
                "FROM orders ORDER BY id"
            )
        ).all()
    assert inserted == 1
    assert rows[0] == rows[1]
