"""Initial schema: orders, order_events, trades, positions, risk_events, bot_runs, paper_balances.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from imb_bot.db.types import Money, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODE_CHECK = "mode IN ('PAPER', 'LIVE_TESTNET')"
SIDE_CHECK = "side IN ('BUY', 'SELL')"
STATUS_CHECK = (
    "status IN ('PENDING_SUBMIT', 'SUBMITTED', 'UNKNOWN', 'OPEN', 'PARTIALLY_FILLED', 'FILLED', "
    "'CANCELED', 'REJECTED', 'EXPIRED')"
)


def _id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def _fk_type() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _payload() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "bot_runs",
        _id(),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("stopped_at", UTCDateTime(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("config_hash", sa.String(length=128), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(MODE_CHECK, name=op.f("ck_bot_runs_mode")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_runs")),
    )
    op.create_table(
        "paper_balances",
        sa.Column("asset", sa.String(length=16), nullable=False),
        sa.Column("free", Money(), nullable=False),
        sa.Column("locked", Money(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("asset", name=op.f("pk_paper_balances")),
    )
    op.create_table(
        "positions",
        _id(),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("quantity", Money(), nullable=False),
        sa.Column("cost_basis_quote", Money(), nullable=False),
        sa.Column("average_entry_price", Money(), nullable=True),
        sa.Column("realized_pnl_quote", Money(), nullable=False),
        sa.Column("fees_quote", Money(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(MODE_CHECK, name=op.f("ck_positions_mode")),
        sa.CheckConstraint("status IN ('OPEN', 'CLOSED')", name=op.f("ck_positions_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint("mode", "symbol", name=op.f("uq_positions_mode_symbol")),
    )
    op.create_table(
        "orders",
        _id(),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("exchange_order_id", sa.String(length=64), nullable=True),
        sa.Column("run_id", _fk_type(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("time_in_force", sa.String(length=8), nullable=True),
        sa.Column("quantity", Money(), nullable=False),
        sa.Column("quote_quantity", Money(), nullable=True),
        sa.Column("price", Money(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filled_quantity", Money(), nullable=False),
        sa.Column("average_price", Money(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(MODE_CHECK, name=op.f("ck_orders_mode")),
        sa.CheckConstraint(SIDE_CHECK, name=op.f("ck_orders_side")),
        sa.CheckConstraint(STATUS_CHECK, name=op.f("ck_orders_status")),
        sa.CheckConstraint(
            "time_in_force IS NULL OR time_in_force IN ('GTC', 'IOC', 'FOK')",
            name=op.f("ck_orders_time_in_force"),
        ),
        sa.CheckConstraint("type IN ('MARKET', 'LIMIT')", name=op.f("ck_orders_type")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["bot_runs.id"], name=op.f("fk_orders_run_id_bot_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_orders_client_order_id")),
    )
    op.create_index(op.f("ix_orders_created_at_id"), "orders", ["created_at", "id"])
    op.create_index(op.f("ix_orders_mode_created_at_id"), "orders", ["mode", "created_at", "id"])
    op.create_index(op.f("ix_orders_mode_status"), "orders", ["mode", "status"])
    op.create_index(
        op.f("ix_orders_symbol_created_at_id"), "orders", ["symbol", "created_at", "id"]
    )
    op.create_table(
        "risk_events",
        _id(),
        sa.Column("run_id", _fk_type(), nullable=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("signal", _payload(), nullable=False),
        sa.CheckConstraint(MODE_CHECK, name=op.f("ck_risk_events_mode")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["bot_runs.id"], name=op.f("fk_risk_events_run_id_bot_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_events")),
    )
    op.create_index(op.f("ix_risk_events_at_id"), "risk_events", ["at", "id"])
    op.create_table(
        "order_events",
        _id(),
        sa.Column("order_id", _fk_type(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("payload", _payload(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_events_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    op.create_index(op.f("ix_order_events_order_id_id"), "order_events", ["order_id", "id"])
    op.create_table(
        "trades",
        _id(),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("trade_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", _fk_type(), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("exchange_order_id", sa.String(length=64), nullable=True),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("price", Money(), nullable=False),
        sa.Column("quantity", Money(), nullable=False),
        sa.Column("quote_quantity", Money(), nullable=False),
        sa.Column("fee", Money(), nullable=False),
        sa.Column("fee_asset", sa.String(length=16), nullable=False),
        sa.Column("is_maker", sa.Boolean(), nullable=False),
        sa.Column("executed_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(MODE_CHECK, name=op.f("ck_trades_mode")),
        sa.CheckConstraint(SIDE_CHECK, name=op.f("ck_trades_side")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_trades_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
        sa.UniqueConstraint(
            "mode", "symbol", "trade_id", name=op.f("uq_trades_mode_symbol_trade_id")
        ),
    )
    op.create_index(op.f("ix_trades_executed_at_id"), "trades", ["executed_at", "id"])
    op.create_index(op.f("ix_trades_mode_executed_at_id"), "trades", ["mode", "executed_at", "id"])
    op.create_index(op.f("ix_trades_order_id"), "trades", ["order_id"])
    op.create_index(
        op.f("ix_trades_symbol_executed_at_id"), "trades", ["symbol", "executed_at", "id"]
    )


def downgrade() -> None:
    """Drop every table (and with them their indexes), children first."""
    op.drop_table("trades")
    op.drop_table("order_events")
    op.drop_table("risk_events")
    op.drop_table("orders")
    op.drop_table("positions")
    op.drop_table("paper_balances")
    op.drop_table("bot_runs")
