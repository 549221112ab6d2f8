"""Value objects the store takes and returns besides the core's ``Order`` / ``Fill``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from imb_bot.config import TradingMode
from imb_bot.core.models import OrderStatus, OrderType, Side, TimeInForce
from imb_bot.core.portfolio import Position

__all__ = [
    "FillsRecorded",
    "OrderRecord",
    "Page",
    "PositionRecord",
    "PositionState",
    "PositionStatus",
    "RiskEventRecord",
    "TradeRecord",
]

T = TypeVar("T")


class PositionStatus(StrEnum):
    """Whether a position holds a non-zero quantity."""

    OPEN = "OPEN"
    CLOSED = "CLOSED"


class PositionState(Protocol):
    """What the store needs of a position: :class:`imb_bot.core.portfolio.Position` fits.

    It is absolute state (not a delta), so writing the same state twice is harmless, which keeps
    fill replays idempotent.
    """

    @property
    def symbol(self) -> str: ...

    @property
    def quantity(self) -> Decimal: ...  # base held

    @property
    def cost_basis_quote(self) -> Decimal: ...  # cost of the quantity at fill prices, no fees

    @property
    def realized_pnl_quote(self) -> Decimal: ...  # closed PnL, gross of fees

    @property
    def fees_quote(self) -> Decimal: ...  # fees of this symbol's fills valued in quote

    @property
    def updated_at(self) -> datetime | None: ...  # time of the last fill applied


@dataclass(frozen=True, slots=True)
class PositionRecord:
    """A stored position; :meth:`to_position` rebuilds the portfolio's ``Position``."""

    mode: TradingMode
    symbol: str
    quantity: Decimal
    cost_basis_quote: Decimal
    average_entry_price: Decimal | None  # cost basis per unit held; None when flat
    realized_pnl_quote: Decimal
    fees_quote: Decimal
    status: PositionStatus
    opened_at: datetime | None  # when the current (or last) position opened
    closed_at: datetime | None  # when it last went flat; None while open
    updated_at: datetime  # time of the last fill applied (else of the write)

    def to_position(self) -> Position:
        """Return the core position to seed a ``Portfolio`` with after a restart."""
        return Position(
            symbol=self.symbol,
            quantity=self.quantity,
            cost_basis_quote=self.cost_basis_quote,
            realized_pnl_quote=self.realized_pnl_quote,
            fees_quote=self.fees_quote,
            updated_at=self.updated_at,
        )


@dataclass(frozen=True, slots=True)
class RiskEventRecord:
    """A risk rejection worth keeping: reason code, human message and the rejected signal."""

    at: datetime
    mode: TradingMode
    symbol: str
    code: str  # e.g. NOTIONAL_EXCEEDS_MAX_PER_ORDER
    message: str  # e.g. "max=500 USDT, order=612.40 USDT"
    signal: Mapping[str, Any] = field(default_factory=dict)  # JSON-able; Decimals allowed
    run_id: int | None = None


@dataclass(frozen=True, slots=True)
class FillsRecorded:
    """Outcome of :meth:`Store.record_fills`: which trade ids were new (the rest were stored)."""

    new_trade_ids: tuple[str, ...]
    duplicate_trade_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order as the history API lists it."""

    client_order_id: str
    exchange_order_id: str | None
    mode: TradingMode
    symbol: str
    side: Side
    type: OrderType
    time_in_force: TimeInForce | None
    quantity: Decimal
    quote_quantity: Decimal | None
    price: Decimal | None
    status: OrderStatus
    filled_quantity: Decimal
    average_price: Decimal | None
    reason: str
    strategy: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """A trade as the history API lists it."""

    trade_id: str
    client_order_id: str
    exchange_order_id: str | None
    mode: TradingMode
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    quote_quantity: Decimal
    fee: Decimal
    fee_asset: str
    is_maker: bool
    executed_at: datetime


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a keyset-paginated listing; ``next_cursor`` is None on the last page."""

    items: list[T]
    next_cursor: str | None
