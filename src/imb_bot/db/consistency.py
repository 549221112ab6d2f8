"""Consistency check of the store: do orders and positions agree with the trades stored?

The check replays every (mode, symbol)'s trades, in execution order, through the core's
:class:`~imb_bot.core.portfolio.Portfolio` (the same accounting the bot uses: fees in the received
asset, average-cost basis, realized PnL gross of fees) and compares the result with the stored
position; and it sums each order's trades against the order's ``filled_quantity``. Quantities
must match exactly; quote amounts (realized PnL, cost basis, fees) within ``quote_tolerance``,
because stored values are rounded to 18 decimal places and a restarted bot continues from them.

A position that did not start flat (e.g. an exchange balance adopted at reconciliation) is
reported: its quantity is not the sum of its fills.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select

from imb_bot.config import TradingMode
from imb_bot.core.models import Fill, MarketRules, Side
from imb_bot.core.portfolio import Portfolio, Position
from imb_bot.db.models import OrderRow, TradeRow
from imb_bot.db.records import PositionRecord
from imb_bot.db.repositories import fill_from_row
from imb_bot.db.store import Store
from imb_bot.db.types import format_decimal

__all__ = [
    "DEFAULT_QUOTE_TOLERANCE",
    "Finding",
    "FindingKind",
    "OrderFacts",
    "StoredTrade",
    "check_consistency",
    "check_store",
]

DEFAULT_QUOTE_TOLERANCE = Decimal("1e-9")  # quote currency
_ZERO = Decimal(0)
_BATCH = 10_000


class FindingKind(StrEnum):
    """What disagrees."""

    ORDER_FILLED_QUANTITY = "ORDER_FILLED_QUANTITY"  # sum of trades != order.filled_quantity
    TRADE_ORDER_MISMATCH = "TRADE_ORDER_MISMATCH"  # a trade's side/symbol/mode != its order's
    POSITION_QUANTITY = "POSITION_QUANTITY"  # buys - base fees - sells != stored quantity
    POSITION_REALIZED_PNL = "POSITION_REALIZED_PNL"
    POSITION_COST_BASIS = "POSITION_COST_BASIS"
    POSITION_FEES = "POSITION_FEES"
    POSITION_MISSING = "POSITION_MISSING"  # trades leave a position, none is stored
    REPLAY_FAILED = "REPLAY_FAILED"  # the trades cannot be replayed (e.g. sell more than held)


@dataclass(frozen=True, slots=True)
class Finding:
    """One disagreement: ``expected`` is what the trades imply, ``stored`` what the row says."""

    kind: FindingKind
    subject: str  # e.g. "order c-123" or "position PAPER BTC/USDT"
    expected: str
    stored: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """The fields of an order the check needs."""

    client_order_id: str
    mode: TradingMode
    symbol: str
    side: Side
    filled_quantity: Decimal


@dataclass(frozen=True, slots=True)
class StoredTrade:
    """A stored trade and the mode it belongs to."""

    mode: TradingMode
    fill: Fill


def check_consistency(
    orders: Iterable[OrderFacts],
    trades: Iterable[StoredTrade],
    positions: Iterable[PositionRecord],
    *,
    quote_tolerance: Decimal = DEFAULT_QUOTE_TOLERANCE,
) -> list[Finding]:
    """Return every disagreement between orders, trades and positions (empty when consistent).

    ``trades`` must come in execution order (time, then insertion); orders and positions in any.
    """
    order_by_id = {o.client_order_id: o for o in orders}
    filled: defaultdict[str, Decimal] = defaultdict(Decimal)
    fills_by_book: defaultdict[tuple[TradingMode, str], list[Fill]] = defaultdict(list)
    findings: list[Finding] = []
    for trade in trades:
        fill = trade.fill
        filled[fill.client_order_id] += fill.quantity
        fills_by_book[(trade.mode, fill.symbol)].append(fill)
        order = order_by_id.get(fill.client_order_id)
        if order is not None and (order.side, order.symbol, order.mode) != (
            fill.side,
            fill.symbol,
            trade.mode,
        ):
            findings.append(
                Finding(
                    FindingKind.TRADE_ORDER_MISMATCH,
                    f"trade {fill.trade_id}",
                    f"{order.mode} {order.symbol} {order.side}",
                    f"{trade.mode} {fill.symbol} {fill.side}",
                    f"order {order.client_order_id}",
                )
            )
    for order in order_by_id.values():
        total = filled.get(order.client_order_id, _ZERO)
        if total != order.filled_quantity:
            findings.append(
                Finding(
                    FindingKind.ORDER_FILLED_QUANTITY,
                    f"order {order.client_order_id}",
                    format_decimal(total),
                    format_decimal(order.filled_quantity),
                    "sum of the order's trades vs its filled_quantity",
                )
            )
    stored = {(p.mode, p.symbol): p for p in positions}
    for book in sorted(set(stored) | set(fills_by_book)):
        findings.extend(
            _check_position(book, fills_by_book.get(book, []), stored.get(book), quote_tolerance)
        )
    return findings


def _check_position(
    book: tuple[TradingMode, str],
    fills: list[Fill],
    stored: PositionRecord | None,
    tolerance: Decimal,
) -> list[Finding]:
    mode, symbol = book
    subject = f"position {mode} {symbol}"
    try:
        replayed = _replay(symbol, fills)
    except ValueError as exc:
        return [Finding(FindingKind.REPLAY_FAILED, subject, "-", "-", str(exc))]
    if stored is None:
        if replayed.quantity == 0 and replayed.realized_pnl_quote == 0:
            return []
        return [
            Finding(
                FindingKind.POSITION_MISSING,
                subject,
                f"quantity {format_decimal(replayed.quantity)}",
                "no row",
                f"{len(fills)} trades",
            )
        ]
    findings = []
    if replayed.quantity != stored.quantity:
        findings.append(
            Finding(
                FindingKind.POSITION_QUANTITY,
                subject,
                format_decimal(replayed.quantity),
                format_decimal(stored.quantity),
                "buys - base fees on buys - sells (base asset)",
            )
        )
    for kind, expected, actual in (
        (FindingKind.POSITION_REALIZED_PNL, replayed.realized_pnl_quote, stored.realized_pnl_quote),
        (FindingKind.POSITION_COST_BASIS, replayed.cost_basis_quote, stored.cost_basis_quote),
        (FindingKind.POSITION_FEES, replayed.fees_quote, stored.fees_quote),
    ):
        if abs(expected - actual) > tolerance:
            findings.append(
                Finding(
                    kind,
                    subject,
                    format_decimal(expected),
                    format_decimal(actual),
                    f"quote amount, tolerance {format_decimal(tolerance)}",
                )
            )
    return findings


def _replay(symbol: str, fills: list[Fill]) -> Position:
    base, _, quote = symbol.partition("/")
    rules = MarketRules(
        symbol=symbol,
        base_asset=base,
        quote_asset=quote,
        tick_size=_ZERO,
        step_size=_ZERO,
        min_quantity=_ZERO,
        max_quantity=_ZERO,
        min_notional=_ZERO,
    )
    portfolio = Portfolio(quote_asset=quote, markets=[rules])
    for fill in fills:
        portfolio.apply(fill)
    return portfolio.position(symbol)


def check_store(
    store: Store, *, quote_tolerance: Decimal = DEFAULT_QUOTE_TOLERANCE
) -> list[Finding]:
    """Run :func:`check_consistency` over everything stored (streams trades in batches)."""
    with store.unit_of_work(write=False) as uow:
        session = uow.session
        orders = [
            OrderFacts(
                client_order_id=row.client_order_id,
                mode=TradingMode(row.mode),
                symbol=row.symbol,
                side=Side(row.side),
                filled_quantity=row.filled_quantity,
            )
            for row in session.execute(
                select(
                    OrderRow.client_order_id,
                    OrderRow.mode,
                    OrderRow.symbol,
                    OrderRow.side,
                    OrderRow.filled_quantity,
                ).execution_options(yield_per=_BATCH)
            )
        ]
        positions = uow.positions.list()

        def trades() -> Iterator[StoredTrade]:
            statement = (
                select(TradeRow.__table__)
                .order_by(TradeRow.mode, TradeRow.symbol, TradeRow.executed_at, TradeRow.id)
                .execution_options(yield_per=_BATCH)
            )
            for row in session.execute(statement):
                yield StoredTrade(mode=TradingMode(row.mode), fill=fill_from_row(row))

        return check_consistency(orders, trades(), positions, quote_tolerance=quote_tolerance)
