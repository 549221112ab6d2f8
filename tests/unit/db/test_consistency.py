"""Consistency check logic: each kind of mismatch is found; consistent data passes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from imb_bot.config import TradingMode
from imb_bot.core.models import Side
from imb_bot.db.consistency import (
    Finding,
    FindingKind,
    OrderFacts,
    StoredTrade,
    check_consistency,
)
from imb_bot.db.records import PositionRecord, PositionStatus
from imb_bot.db.testing import T0, make_fill

PAPER = TradingMode.PAPER
SYMBOL = "BTC/USDT"

# Buy 0.01 BTC at 60000 paying 0.00001 BTC, then sell all 0.00999 at 61000 paying 0.60939 USDT.
BUY = make_fill("t1", "buy-1", quantity="0.01", price="60000", fee="0.00001")
SELL = make_fill(
    "t2",
    "sell-1",
    side=Side.SELL,
    quantity="0.00999",
    price="61000",
    fee="0.60939",
    executed_at=T0 + timedelta(minutes=1),
)
ORDERS = [
    OrderFacts("buy-1", PAPER, SYMBOL, Side.BUY, Decimal("0.01")),
    OrderFacts("sell-1", PAPER, SYMBOL, Side.SELL, Decimal("0.00999")),
]
TRADES = [StoredTrade(PAPER, BUY), StoredTrade(PAPER, SELL)]
POSITION = PositionRecord(
    mode=PAPER,
    symbol=SYMBOL,
    quantity=Decimal(0),
    cost_basis_quote=Decimal(0),
    average_entry_price=None,
    realized_pnl_quote=Decimal("9.99"),  # 609.39 proceeds - 599.4 cost basis
    fees_quote=Decimal("1.20939"),  # 0.6 (base fee at 60000) + 0.60939
    status=PositionStatus.CLOSED,
    opened_at=T0,
    closed_at=T0 + timedelta(minutes=1),
    updated_at=T0 + timedelta(minutes=1),
)


def _kinds(findings: list[Finding]) -> list[FindingKind]:
    return [f.kind for f in findings]


def test_check_when_orders_trades_and_position_agree_finds_nothing() -> None:
    assert check_consistency(ORDERS, TRADES, [POSITION]) == []


def test_check_when_order_filled_quantity_differs_from_trades_reports_order() -> None:
    # Arrange
    orders = [replace(ORDERS[0], filled_quantity=Decimal("0.02")), ORDERS[1]]

    # Act
    findings = check_consistency(orders, TRADES, [POSITION])

    # Assert
    assert findings == [
        Finding(
            FindingKind.ORDER_FILLED_QUANTITY,
            "order buy-1",
            "0.01",
            "0.02",
            "sum of the order's trades vs its filled_quantity",
        )
    ]


def test_check_when_position_ignores_base_fee_reports_quantity() -> None:
    # Arrange: only the buy happened; the stored quantity forgot the 0.00001 BTC commission
    open_position = replace(
        POSITION,
        quantity=Decimal("0.01"),
        cost_basis_quote=Decimal("599.4"),
        realized_pnl_quote=Decimal(0),
        fees_quote=Decimal("0.6"),
    )

    # Act
    findings = check_consistency(ORDERS[:1], TRADES[:1], [open_position])

    # Assert
    assert _kinds(findings) == [FindingKind.POSITION_QUANTITY]
    assert (findings[0].expected, findings[0].stored) == ("0.00999", "0.01")


def test_check_when_realized_pnl_differs_reports_realized_pnl() -> None:
    findings = check_consistency(
        ORDERS, TRADES, [replace(POSITION, realized_pnl_quote=Decimal("10.59"))]
    )
    assert _kinds(findings) == [FindingKind.POSITION_REALIZED_PNL]
    assert (findings[0].expected, findings[0].stored) == ("9.99", "10.59")


def test_check_when_difference_within_tolerance_finds_nothing() -> None:
    nudged = replace(POSITION, realized_pnl_quote=Decimal("9.99") + Decimal("1e-15"))
    assert check_consistency(ORDERS, TRADES, [nudged]) == []


def test_check_when_cost_basis_and_fees_differ_reports_both() -> None:
    wrong = replace(POSITION, cost_basis_quote=Decimal(1), fees_quote=Decimal(0))
    findings = check_consistency(ORDERS, TRADES, [wrong])
    assert _kinds(findings) == [FindingKind.POSITION_COST_BASIS, FindingKind.POSITION_FEES]


def test_check_when_trades_but_no_position_row_reports_missing() -> None:
    findings = check_consistency(ORDERS[:1], TRADES[:1], [])
    assert _kinds(findings) == [FindingKind.POSITION_MISSING]


def test_check_when_position_without_trades_reports_quantity() -> None:
    findings = check_consistency([], [], [replace(POSITION, quantity=Decimal("0.5"))])
    assert FindingKind.POSITION_QUANTITY in _kinds(findings)


def test_check_when_sell_exceeds_holdings_reports_replay_failure() -> None:
    findings = check_consistency(ORDERS[1:], TRADES[1:], [POSITION])
    assert _kinds(findings) == [FindingKind.REPLAY_FAILED]
    assert "sells" in findings[0].detail


def test_check_when_trade_side_differs_from_order_reports_mismatch() -> None:
    orders = [replace(ORDERS[0], side=Side.SELL), ORDERS[1]]
    findings = check_consistency(orders, TRADES, [POSITION])
    assert _kinds(findings) == [FindingKind.TRADE_ORDER_MISMATCH]


def test_check_when_modes_differ_keeps_books_apart() -> None:
    # Arrange: the same trades in LIVE_TESTNET, with no LIVE position stored
    live_trades = [StoredTrade(TradingMode.LIVE_TESTNET, t.fill) for t in TRADES]
    live_orders = [replace(o, mode=TradingMode.LIVE_TESTNET) for o in ORDERS]

    # Act
    findings = check_consistency(live_orders, live_trades, [POSITION])

    # Assert: the LIVE book closes with realized PnL but has no row; PAPER has a row, no trades
    assert [(f.kind, f.subject) for f in findings] == [
        (FindingKind.POSITION_MISSING, "position LIVE_TESTNET BTC/USDT"),
        (FindingKind.POSITION_REALIZED_PNL, "position PAPER BTC/USDT"),
        (FindingKind.POSITION_FEES, "position PAPER BTC/USDT"),
    ]
