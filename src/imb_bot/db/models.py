"""SQLAlchemy 2 tables of the store; ``docs/schema.md`` describes every column and index.

These rows are the persistence shape only: repositories translate them to and from the domain
objects in :mod:`imb_bot.core.models`, and the API has its own response schemas.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from imb_bot.core.models import OrderStatus, OrderType, Side, TimeInForce
from imb_bot.db.types import Money, UTCDateTime

__all__ = [
    "Base",
    "BotRunRow",
    "OrderEventRow",
    "OrderRow",
    "PaperBalanceRow",
    "PositionRow",
    "RiskEventRow",
    "TradeRow",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; INTEGER on SQLite so the key aliases the rowid and autoincrements.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Payload = JSON().with_variant(JSONB(), "postgresql")

MODES = ("PAPER", "LIVE_TESTNET")
POSITION_STATUSES = ("OPEN", "CLOSED")


def _in(column: str, values: Any) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class BotRunRow(Base):
    """One process lifetime of the bot: when it ran, in which mode, with which config."""

    __tablename__ = "bot_runs"
    __table_args__ = (CheckConstraint(_in("mode", MODES), name="mode"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mode: Mapped[str] = mapped_column(String(16))
    config_hash: Mapped[str] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(64))
    stop_reason: Mapped[str | None] = mapped_column(Text())


class OrderRow(Base):
    """Current state of one order; its history is in ``order_events``."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_in("mode", MODES), name="mode"),
        CheckConstraint(_in("side", Side), name="side"),
        CheckConstraint(_in("type", OrderType), name="type"),
        CheckConstraint(
            f"time_in_force IS NULL OR {_in('time_in_force', TimeInForce)}", name="time_in_force"
        ),
        CheckConstraint(_in("status", OrderStatus), name="status"),
        Index(None, "created_at", "id"),
        Index(None, "symbol", "created_at", "id"),
        Index(None, "mode", "created_at", "id"),
        Index(None, "mode", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(String(64), unique=True)
    exchange_order_id: Mapped[str | None] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("bot_runs.id"))
    mode: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    type: Mapped[str] = mapped_column(String(16))
    time_in_force: Mapped[str | None] = mapped_column(String(8))
    quantity: Mapped[Decimal] = mapped_column(Money())
    quote_quantity: Mapped[Decimal | None] = mapped_column(Money())
    price: Mapped[Decimal | None] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(20))
    filled_quantity: Mapped[Decimal] = mapped_column(Money())
    average_price: Mapped[Decimal | None] = mapped_column(Money())
    reason: Mapped[str] = mapped_column(Text())
    strategy: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OrderEventRow(Base):
    """Append-only log of what happened to an order (intent, submission, fills, status)."""

    __tablename__ = "order_events"
    __table_args__ = (Index(None, "order_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(Payload)


class TradeRow(Base):
    """One execution of an order, as reported by the exchange (or the paper broker)."""

    __tablename__ = "trades"
    __table_args__ = (
        UniqueConstraint("mode", "symbol", "trade_id"),
        CheckConstraint(_in("mode", MODES), name="mode"),
        CheckConstraint(_in("side", Side), name="side"),
        Index(None, "executed_at", "id"),
        Index(None, "symbol", "executed_at", "id"),
        Index(None, "mode", "executed_at", "id"),
        Index(None, "order_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    trade_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    client_order_id: Mapped[str] = mapped_column(String(64))
    exchange_order_id: Mapped[str | None] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(4))
    price: Mapped[Decimal] = mapped_column(Money())
    quantity: Mapped[Decimal] = mapped_column(Money())
    quote_quantity: Mapped[Decimal] = mapped_column(Money())
    fee: Mapped[Decimal] = mapped_column(Money())
    fee_asset: Mapped[str] = mapped_column(String(16))
    is_maker: Mapped[bool] = mapped_column(Boolean())
    executed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PositionRow(Base):
    """Latest position of one symbol in one mode: the portfolio's state after its last fill."""

    __tablename__ = "positions"
    __table_args__ = (
        UniqueConstraint("mode", "symbol"),
        CheckConstraint(_in("mode", MODES), name="mode"),
        CheckConstraint(_in("status", POSITION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    mode: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[Decimal] = mapped_column(Money())
    cost_basis_quote: Mapped[Decimal] = mapped_column(Money())
    average_entry_price: Mapped[Decimal | None] = mapped_column(Money())
    realized_pnl_quote: Mapped[Decimal] = mapped_column(Money())
    fees_quote: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(8))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RiskEventRow(Base):
    """A signal the risk manager rejected, with its reason code and the signal itself."""

    __tablename__ = "risk_events"
    __table_args__ = (
        CheckConstraint(_in("mode", MODES), name="mode"),
        Index(None, "at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("bot_runs.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    mode: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text())
    signal: Mapped[dict[str, Any]] = mapped_column(Payload)


class PaperBalanceRow(Base):
    """Cash and holdings of the PAPER account, one row per asset, so they survive restarts."""

    __tablename__ = "paper_balances"

    asset: Mapped[str] = mapped_column(String(16), primary_key=True)
    free: Mapped[Decimal] = mapped_column(Money())
    locked: Mapped[Decimal] = mapped_column(Money())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
