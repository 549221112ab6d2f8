"""Migrations on empty SQLite and PostgreSQL: up, down, up again, and no drift from the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Index, MetaData, String, inspect

from imb_bot.db.engine import create_store_engine
from imb_bot.db.migrate import current_revision, downgrade, head_revision, upgrade_to_head
from imb_bot.db.models import Base

TABLES = {
    "bot_runs",
    "order_events",
    "orders",
    "paper_balances",
    "positions",
    "risk_events",
    "trades",
}


def _tables(url: str) -> set[str]:
    engine = create_store_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _autogenerate_diff(url: str) -> list[object]:
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_upgrade_when_empty_database_then_down_and_up_again_ends_at_head(
    database_url: str,
) -> None:
    # Arrange
    assert current_revision(database_url) is None

    # Act / Assert
    assert upgrade_to_head(database_url) == head_revision()
    assert current_revision(database_url) == head_revision()
    assert _tables(database_url) == TABLES

    downgrade(database_url, "base")
    assert current_revision(database_url) is None
    assert _tables(database_url) == set()

    upgrade_to_head(database_url)
    assert current_revision(database_url) == head_revision()
    assert _tables(database_url) == TABLES


def test_upgrade_when_already_at_head_changes_nothing(migrated_url: str) -> None:
    assert upgrade_to_head(migrated_url) == head_revision()
    assert current_revision(migrated_url) == head_revision()


def test_compare_metadata_when_migrated_to_head_reports_no_difference(migrated_url: str) -> None:
    upgrade_to_head(migrated_url)  # the SQLite fixture is a copy: make sure it is migrated here
    assert _autogenerate_diff(migrated_url) == []


def test_compare_metadata_when_model_drifts_reports_the_difference(migrated_url: str) -> None:
    # Arrange: the models gain a column and an index no migration creates
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(drifted)
    orders = drifted.tables["orders"]
    orders.append_column(Column("note", String(20), nullable=True))
    Index("ix_orders_note", orders.c.note)
    upgrade_to_head(migrated_url)

    # Act
    engine = create_store_engine(migrated_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, drifted)
    finally:
        engine.dispose()

    # Assert
    assert [entry[0] for entry in diff] == ["add_column", "add_index"]
