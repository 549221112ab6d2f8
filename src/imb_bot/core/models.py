"""Domain value objects shared by every layer: market data, signals, orders, fills.

Money and quantities are ``Decimal``; times are timezone-aware UTC ``datetime``. Objects are
immutable; state changes produce new objects (``dataclasses.replace``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Side(StrEnum):
    """Order or trade direction."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    """Order types the bot sends."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"


class TimeInForce(StrEnum):
    """Lifetime of a limit order."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    """Order lifecycle.

    ``PENDING_SUBMIT → (SUBMITTED | UNKNOWN) → OPEN → PARTIALLY_FILLED → FILLED | CANCELED |
    REJECTED | EXPIRED``. ``UNKNOWN`` means the submission's outcome is not known (timeout, 5xx,
    lost connection) and must be resolved by looking the order up by client id.
    """

    PENDING_SUBMIT = "PENDING_SUBMIT"
    SUBMITTED = "SUBMITTED"
    UNKNOWN = "UNKNOWN"
    OPEN = "OPEN"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_final(self) -> bool:
        """True when no further fills or transitions can happen."""
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)


class SignalAction(StrEnum):
    """What a strategy wants to do."""

    BUY = "BUY"
    SELL = "SELL"
    HOLD = "HOLD"


class SizeType(StrEnum):
    """How a signal's ``size_value`` is meant."""

    FIXED_QUOTE = "fixed_quote"  # spend/receive this much quote currency
    FIXED_BASE = "fixed_base"  # trade this much base currency
    PERCENT_EQUITY = "percent_equity"  # this percentage (0-100) of equity in quote currency


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV kline; ``time`` is the open time (UTC)."""

    time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class Ticker:
    """Best bid/ask and last price of a symbol at ``time`` (UTC)."""

    symbol: str
    bid: Decimal
    ask: Decimal
    last: Decimal
    time: datetime
    bid_quantity: Decimal | None = None
    ask_quantity: Decimal | None = None
    high_24h: Decimal | None = None
    low_24h: Decimal | None = None
    volume_24h: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderBook:
    """Price levels, best first: ``bids`` descending, ``asks`` ascending, as (price, qty)."""

    symbol: str
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]


@dataclass(frozen=True, slots=True)
class Balance:
    """Holdings of one asset: ``free`` is available, ``locked`` is reserved by open orders."""

    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        """Free plus locked."""
        return self.free + self.locked


@dataclass(frozen=True, slots=True)
class MarketRules:
    """Exchange filters of one symbol, used to size and round orders before sending them."""

    symbol: str
    base_asset: str
    quote_asset: str
    tick_size: Decimal
    step_size: Decimal
    min_quantity: Decimal
    max_quantity: Decimal
    min_notional: Decimal
    max_notional: Decimal | None = None
    min_price: Decimal = Decimal(0)
    max_price: Decimal | None = None
    market_min_quantity: Decimal | None = None
    market_max_quantity: Decimal | None = None
    market_step_size: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Signal:
    """A strategy decision for one symbol at one closed candle."""

    action: SignalAction
    symbol: str
    strategy_id: str
    candle_time: datetime
    reason: str
    size_type: SizeType = SizeType.FIXED_QUOTE
    size_value: Decimal = Decimal(0)
    stop_loss: Decimal | None = None  # absolute price
    take_profit: Decimal | None = None  # absolute price


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the bot knows it. ``client_order_id`` is ours and deterministic."""

    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    quantity: Decimal  # base quantity; for a quote-sized market order, the expected quantity
    created_at: datetime
    price: Decimal | None = None  # limit price; None for market orders
    quote_quantity: Decimal | None = None  # set → market order sized in quote (quoteOrderQty)
    time_in_force: TimeInForce | None = None
    status: OrderStatus = OrderStatus.PENDING_SUBMIT
    exchange_order_id: str | None = None
    filled_quantity: Decimal = Decimal(0)
    average_price: Decimal | None = None
    reason: str = ""
    strategy: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution (trade) of an order."""

    trade_id: str
    client_order_id: str
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    fee: Decimal
    fee_asset: str
    executed_at: datetime
    exchange_order_id: str | None = None
    quote_quantity: Decimal = field(default=Decimal(0))
    is_maker: bool = False

    def __post_init__(self) -> None:
        if self.quote_quantity == 0:
            object.__setattr__(self, "quote_quantity", self.price * self.quantity)
