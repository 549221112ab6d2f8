"""Write path of the store on SQLite and PostgreSQL: intents, submissions, fills, positions."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, select

from imb_bot.config import TradingMode
from imb_bot.core.models import Balance, OrderStatus, Side
from imb_bot.core.portfolio import Position
from imb_bot.db import (
    DuplicateClientOrderIdError,
    InvalidRecordError,
    PositionStatus,
    RiskEventRecord,
    Store,
    UnknownOrderError,
)
from imb_bot.db.models import (
    BotRunRow,
    OrderEventRow,
    OrderRow,
    PositionRow,
    RiskEventRow,
    TradeRow,
)
from imb_bot.db.records import FillsRecorded
from imb_bot.db.testing import T0, make_fill, make_order

PAPER = TradingMode.PAPER
LIVE = TradingMode.LIVE_TESTNET
SYMBOL = "BTC/USDT"


def _count(store: Store, model: Any) -> int:
    with store.unit_of_work(write=False) as uow:
        return int(uow.session.execute(select(func.count()).select_from(model)).scalar_one())


def _position(quantity: str, cost: str, realized: str = "0", fees: str = "0") -> Position:
    return Position(
        symbol=SYMBOL,
        quantity=Decimal(quantity),
        cost_basis_quote=Decimal(cost),
        realized_pnl_quote=Decimal(realized),
        fees_quote=Decimal(fees),
        updated_at=T0,
    )


def _record_t1(store: Store, cid: str = "run1-1", **overrides: Any) -> FillsRecorded:
    """``record_fills`` of trade t1: 0.01 BTC bought at 60,000 with its position; overrides win."""
    arguments: dict[str, Any] = {
        "order_status": OrderStatus.FILLED,
        "filled_quantity": Decimal("0.01"),
        "average_price": Decimal(60000),
        "position_update": _position("0.01", "600"),
    } | overrides
    return store.record_fills(cid, [make_fill("t1", cid)], **arguments)


def _record_filled_buy(store: Store, cid: str = "run1-1", trade_id: str = "t1") -> None:
    store.record_intent(make_order(cid), PAPER)
    store.record_fills(
        cid,
        [make_fill(trade_id, cid, fee="0.00001")],
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.01"),
        average_price=Decimal(60000),
        position_update=_position("0.00999", "599.4", fees="0.6"),
    )


def test_record_intent_when_committed_is_visible_from_another_connection(
    store: Store, migrated_url: str
) -> None:
    # Arrange
    order = make_order("run1-1", price="59000.5")
    other = Store.from_url(migrated_url)

    # Act
    created = store.record_intent(order, PAPER)

    # Assert: a separate engine (another process, after a crash) sees the committed intent
    try:
        loaded = other.load_order("run1-1")
    finally:
        other.close()
    assert created
    assert loaded == replace(order, updated_at=order.created_at)


def test_record_intent_when_same_intent_twice_is_a_no_op(store: Store) -> None:
    # Arrange
    order = make_order("run1-1")
    store.record_intent(order, PAPER)

    # Act
    created_again = store.record_intent(order, PAPER)

    # Assert
    assert created_again is False
    assert _count(store, OrderRow) == 1
    assert _count(store, OrderEventRow) == 1


def test_record_intent_when_id_reused_for_other_content_raises_duplicate(store: Store) -> None:
    # Arrange
    store.record_intent(make_order("run1-1", quantity="0.01"), PAPER)

    # Act / Assert
    with pytest.raises(DuplicateClientOrderIdError, match=r"quantity: stored 0.01, new 0.02"):
        store.record_intent(make_order("run1-1", quantity="0.02"), PAPER)
    assert _count(store, OrderRow) == 1


def test_record_intent_when_run_given_links_order_to_run(store: Store) -> None:
    # Arrange
    run_id = store.start_run(PAPER, "cfg-sha256", "0.1.0", at=T0)

    # Act
    store.record_intent(make_order("run1-1"), PAPER, run_id)

    # Assert
    with store.unit_of_work(write=False) as uow:
        assert uow.session.execute(select(OrderRow.run_id)).scalar_one() == run_id


def test_record_submission_result_when_acknowledged_updates_order_and_logs_event(
    store: Store,
) -> None:
    # Arrange
    store.record_intent(make_order("run1-1"), PAPER)
    at = T0 + timedelta(seconds=1)

    # Act
    store.record_submission_result(
        "run1-1", OrderStatus.OPEN, "8391", {"http_status": 200, "price": Decimal("1.50")}, at=at
    )

    # Assert
    order = store.load_order("run1-1")
    assert order is not None
    assert (order.status, order.exchange_order_id, order.updated_at) == (
        OrderStatus.OPEN,
        "8391",
        at,
    )
    with store.unit_of_work(write=False) as uow:
        events = uow.session.execute(select(OrderEventRow).order_by(OrderEventRow.id)).scalars()
        kinds = [(e.kind, e.from_status, e.to_status, e.payload) for e in events]
    assert kinds[-1] == (
        "STATUS",
        "PENDING_SUBMIT",
        "OPEN",
        {"http_status": 200, "price": "1.5", "exchange_order_id": "8391"},
    )


def test_record_submission_result_when_order_unknown_raises_unknown_order(store: Store) -> None:
    with pytest.raises(UnknownOrderError, match="no-such-id"):
        store.record_submission_result("no-such-id", OrderStatus.OPEN)


def test_record_fills_when_filled_writes_trades_order_and_position(store: Store) -> None:
    # Arrange
    store.record_intent(make_order("run1-1"), PAPER)

    # Act
    recorded = store.record_fills(
        "run1-1",
        [
            make_fill("t1", quantity="0.004", fee="0.000004"),
            make_fill("t2", quantity="0.006", price="60010", fee="0.000006"),
        ],
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.01"),
        average_price=Decimal("60006"),
        position_update=_position("0.00999", "599.4", fees="0.6"),
        at=T0 + timedelta(seconds=2),
    )

    # Assert
    assert recorded.new_trade_ids == ("t1", "t2")
    assert recorded.duplicate_trade_ids == ()
    order = store.load_order("run1-1")
    assert order is not None
    assert (order.status, order.filled_quantity, order.average_price) == (
        OrderStatus.FILLED,
        Decimal("0.01"),
        Decimal(60006),
    )
    assert [f.trade_id for f in store.load_fills("run1-1")] == ["t1", "t2"]
    [position] = store.load_positions(PAPER)
    assert position.to_position() == _position("0.00999", "599.4", fees="0.6")
    assert position.average_entry_price == Decimal("60000")
    assert (position.status, position.opened_at, position.closed_at) == (
        PositionStatus.OPEN,
        T0,
        None,
    )


def _fail_position_writes_in_database(store: Store) -> None:
    # A trigger raises inside the database after the order and trades were written by the same
    # transaction (SQLite) or statement (PostgreSQL), so the rollback is the database's.
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE TRIGGER fail_positions BEFORE INSERT ON positions "
                "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
            )
            return
        connection.exec_driver_sql(
            "CREATE FUNCTION fail_positions() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disk on fire' USING ERRCODE = 'check_violation'; END $$"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER fail_positions BEFORE INSERT ON positions "
            "FOR EACH ROW EXECUTE FUNCTION fail_positions()"
        )


def test_record_fills_when_failure_mid_transaction_writes_nothing(store: Store) -> None:
    # Arrange
    store.record_intent(make_order("run1-1"), PAPER)
    store.record_submission_result("run1-1", OrderStatus.OPEN, "8391")
    _fail_position_writes_in_database(store)

    # Act
    with pytest.raises(InvalidRecordError, match="disk on fire"):
        _record_t1(store)

    # Assert: neither the trade, nor the order state, nor an event, nor a position
    order = store.load_order("run1-1")
    assert order is not None
    assert (order.status, order.filled_quantity) == (OrderStatus.OPEN, Decimal(0))
    assert _count(store, TradeRow) == 0
    assert _count(store, PositionRow) == 0
    assert _count(store, OrderEventRow) == 2  # INTENT + STATUS only


def test_record_fills_when_database_rejects_position_writes_nothing(store: Store) -> None:
    # Arrange
    store.record_intent(make_order("run1-1"), PAPER)
    too_big = _position("1" + "0" * 18, "600")  # exceeds NUMERIC(36, 18)

    # Act
    with pytest.raises(InvalidRecordError, match="exceeds NUMERIC"):
        _record_t1(store, position_update=too_big)

    # Assert
    assert _count(store, TradeRow) == 0
    assert store.load_order("run1-1").status is OrderStatus.PENDING_SUBMIT  # type: ignore[union-attr]


def test_record_fills_when_trade_already_stored_ignores_duplicate(store: Store) -> None:
    # Arrange
    _record_filled_buy(store)
    replay = [make_fill("t1", fee="0.00001"), make_fill("t1", fee="0.00001")]

    # Act
    recorded = store.record_fills(
        "run1-1",
        replay,
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.01"),
        average_price=Decimal(60000),
        position_update=_position("0.00999", "599.4", fees="0.6"),
    )

    # Assert
    assert recorded.new_trade_ids == ()
    assert recorded.duplicate_trade_ids == ("t1",)
    assert _count(store, TradeRow) == 1
    assert store.known_trade_ids(PAPER, SYMBOL, ["t1", "t9"]) == {"t1"}


def test_record_fills_when_same_trade_id_in_other_mode_or_symbol_stores_both(
    store: Store,
) -> None:
    # Arrange
    store.record_intent(make_order("paper-1"), PAPER)
    store.record_intent(make_order("live-1"), LIVE)
    store.record_intent(make_order("eth-1", symbol="ETH/USDT"), PAPER)
    fills = {
        "paper-1": make_fill("42", "paper-1"),
        "live-1": make_fill("42", "live-1"),
        "eth-1": make_fill("42", "eth-1", symbol="ETH/USDT"),
    }

    # Act
    new = [
        store.record_fills(
            cid,
            [fill],
            order_status=OrderStatus.FILLED,
            filled_quantity=fill.quantity,
            average_price=fill.price,
            position_update=None,
        ).new_trade_ids
        for cid, fill in fills.items()
    ]

    # Assert
    assert new == [("42",), ("42",), ("42",)]
    assert _count(store, TradeRow) == 3


def test_record_fills_when_fill_of_other_order_raises_before_writing(store: Store) -> None:
    store.record_intent(make_order("run1-1"), PAPER)
    with pytest.raises(ValueError, match="belongs to run1-2"):
        store.record_fills(
            "run1-1",
            [make_fill("t1", "run1-2")],
            order_status=OrderStatus.FILLED,
            filled_quantity=Decimal("0.01"),
            average_price=None,
            position_update=None,
        )
    assert _count(store, TradeRow) == 0


def test_record_fills_when_position_goes_flat_sets_closed_at(store: Store) -> None:
    # Arrange
    _record_filled_buy(store)
    sold_at = T0 + timedelta(minutes=5)
    store.record_intent(make_order("run1-2", side=Side.SELL, quantity="0.00999"), PAPER)

    # Act
    store.record_fills(
        "run1-2",
        [make_fill("t2", "run1-2", side=Side.SELL, quantity="0.00999", executed_at=sold_at)],
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.00999"),
        average_price=Decimal(60000),
        position_update=_position("0", "0", fees="0.6"),
    )

    # Assert
    [position] = store.load_positions()
    assert (position.status, position.opened_at, position.closed_at) == (
        PositionStatus.CLOSED,
        T0,
        sold_at,
    )
    assert position.average_entry_price is None


def test_load_open_orders_when_mixed_statuses_returns_non_final_of_mode_oldest_first(
    store: Store,
) -> None:
    # Arrange
    statuses = {
        "a": OrderStatus.PENDING_SUBMIT,
        "b": OrderStatus.UNKNOWN,
        "c": OrderStatus.FILLED,
        "d": OrderStatus.PARTIALLY_FILLED,
        "e": OrderStatus.CANCELED,
    }
    for i, (cid, status) in enumerate(statuses.items()):
        store.record_intent(make_order(cid, created_at=T0 + timedelta(seconds=10 - i)), PAPER)
        store.record_submission_result(cid, status)
    store.record_intent(make_order("live", created_at=T0), LIVE)

    # Act
    open_orders = store.load_open_orders(PAPER)

    # Assert
    assert [o.client_order_id for o in open_orders] == ["d", "b", "a"]


def test_save_paper_balances_when_saved_twice_keeps_only_latest(store: Store) -> None:
    # Arrange
    store.save_paper_balances(
        [
            Balance("USDT", Decimal("10000"), Decimal(0)),
            Balance("BTC", Decimal("0.5"), Decimal("0.1")),
        ],
        at=T0,
    )

    # Act
    store.save_paper_balances([Balance("USDT", Decimal("9400.25"), Decimal("100"))], at=T0)

    # Assert
    assert store.load_paper_balances() == {
        "USDT": Balance("USDT", Decimal("9400.25"), Decimal("100"))
    }


def test_save_paper_balances_when_asset_repeated_raises_and_keeps_previous(store: Store) -> None:
    store.save_paper_balances([Balance("USDT", Decimal(1), Decimal(0))])
    with pytest.raises(ValueError, match="twice"):
        store.save_paper_balances(
            [Balance("BTC", Decimal(1), Decimal(0)), Balance("BTC", Decimal(2), Decimal(0))]
        )
    assert list(store.load_paper_balances()) == ["USDT"]


def test_record_fills_when_paper_balances_given_stores_them_with_the_fills(store: Store) -> None:
    # Arrange
    store.save_paper_balances(
        [Balance("USDT", Decimal(10000), Decimal(0)), Balance("EUR", Decimal(5), Decimal(0))]
    )
    store.record_intent(make_order("run1-1"), PAPER)

    # Act
    _record_t1(store, paper_balances=[Balance("USDT", Decimal("9399.4"), Decimal(0))], at=T0)

    # Assert: the listed asset is replaced, the others are kept
    assert store.load_paper_balances() == {
        "EUR": Balance("EUR", Decimal(5), Decimal(0)),
        "USDT": Balance("USDT", Decimal("9399.4"), Decimal(0)),
    }


def test_record_fills_when_failure_mid_transaction_keeps_previous_paper_balances(
    store: Store,
) -> None:
    # Arrange
    store.save_paper_balances([Balance("USDT", Decimal(10000), Decimal(0))])
    store.record_intent(make_order("run1-1"), PAPER)
    _fail_position_writes_in_database(store)

    # Act
    with pytest.raises(InvalidRecordError, match="disk on fire"):
        _record_t1(store, paper_balances=[Balance("USDT", Decimal("9399.4"), Decimal(0))])

    # Assert: cash and fills move together or not at all
    assert store.load_paper_balances()["USDT"].free == Decimal(10000)
    assert _count(store, TradeRow) == 0


def test_record_fills_when_paper_asset_repeated_raises_before_writing(store: Store) -> None:
    store.record_intent(make_order("run1-1"), PAPER)
    with pytest.raises(ValueError, match="twice"):
        _record_t1(store, paper_balances=[Balance("USDT", Decimal(1), Decimal(0))] * 2)
    assert (_count(store, TradeRow), store.load_paper_balances()) == (0, {})


def test_start_run_when_stopped_records_reason_and_times(store: Store) -> None:
    # Arrange
    run_id = store.start_run(LIVE, "cfg-sha256", "0.1.0", at=T0)

    # Act
    store.stop_run(run_id, "signal SIGTERM", at=T0 + timedelta(hours=1))

    # Assert
    with store.unit_of_work(write=False) as uow:
        run = uow.session.get(BotRunRow, run_id)
        assert run is not None
        assert (run.mode, run.started_at, run.stopped_at, run.stop_reason) == (
            "LIVE_TESTNET",
            T0,
            T0 + timedelta(hours=1),
            "signal SIGTERM",
        )


def test_record_risk_event_when_rejected_signal_stores_code_and_payload(store: Store) -> None:
    # Arrange
    rejection = RiskEventRecord(
        at=T0,
        mode=PAPER,
        symbol=SYMBOL,
        code="NOTIONAL_EXCEEDS_MAX_PER_ORDER",
        message="max=500 USDT, order=612.40 USDT",
        signal={"action": "BUY", "size_value": Decimal("612.40"), "candle_time": T0},
    )

    # Act
    store.record_risk_event(rejection)

    # Assert
    with store.unit_of_work(write=False) as uow:
        row = uow.session.execute(select(RiskEventRow)).scalar_one()
        stored = (row.at, row.code, row.message, row.signal)
    assert stored[:3] == (T0, rejection.code, rejection.message)
    assert stored[3] == {
        "action": "BUY",
        "size_value": "612.4",
        "candle_time": "2024-05-01T12:00:00+00:00",
    }


def test_record_fills_when_position_reopens_takes_new_opened_at_and_clears_closed_at(
    store: Store,
) -> None:
    # Arrange: open at T0, flat at T0+5m
    _record_filled_buy(store)
    store.record_intent(make_order("run1-2", side=Side.SELL, quantity="0.00999"), PAPER)
    store.record_fills(
        "run1-2",
        [make_fill("t2", "run1-2", side=Side.SELL, quantity="0.00999",
                   executed_at=T0 + timedelta(minutes=5))],
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.00999"),
        average_price=Decimal(60000),
        position_update=_position("0", "0", fees="0.6"),
    )  # fmt: skip
    reopened_at = T0 + timedelta(minutes=9)
    store.record_intent(make_order("run1-3"), PAPER)

    # Act
    store.record_fills(
        "run1-3",
        [make_fill("t3", "run1-3", executed_at=reopened_at)],
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.01"),
        average_price=Decimal(60000),
        position_update=_position("0.01", "600", fees="0.6"),
    )

    # Assert
    [position] = store.load_positions(PAPER)
    assert (position.status, position.opened_at, position.closed_at) == (
        PositionStatus.OPEN,
        reopened_at,
        None,
    )


def test_record_fills_when_position_stays_open_keeps_opened_at(store: Store) -> None:
    # Arrange
    _record_filled_buy(store)
    store.record_intent(make_order("run1-2"), PAPER)

    # Act
    store.record_fills(
        "run1-2",
        [make_fill("t2", "run1-2", executed_at=T0 + timedelta(minutes=3))],
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.01"),
        average_price=Decimal(60000),
        position_update=_position("0.01999", "1199.4", fees="0.6"),
    )

    # Assert
    [position] = store.load_positions(PAPER)
    assert (position.opened_at, position.closed_at, position.quantity) == (
        T0,
        None,
        Decimal("0.01999"),
    )


def _events(store: Store) -> list[tuple[str, str | None, str, dict[str, Any]]]:
    with store.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(OrderEventRow).order_by(OrderEventRow.id)).scalars()
        return [(e.kind, e.from_status, e.to_status, e.payload) for e in rows]


def test_record_fills_when_replay_mixes_new_and_stored_lists_both_in_event(store: Store) -> None:
    # Arrange
    _record_filled_buy(store)
    fills = [make_fill("t2", quantity="0.002"), make_fill("t1"), make_fill("t2", quantity="0.002")]

    # Act
    recorded = store.record_fills(
        "run1-1",
        fills,
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.012"),
        average_price=Decimal("60000.50"),
        position_update=None,
    )

    # Assert: the first of a repeated trade id wins; the event lists ids in the given order
    assert (recorded.new_trade_ids, recorded.duplicate_trade_ids) == (("t2",), ("t1",))
    assert [f.quantity for f in store.load_fills("run1-1")] == [Decimal("0.01"), Decimal("0.002")]
    assert _events(store)[-1] == (
        "FILLS",
        "FILLED",
        "FILLED",
        {
            "new_trade_ids": ["t2"],
            "duplicate_trade_ids": ["t1"],
            "filled_quantity": "0.012",
            "average_price": "60000.5",
        },
    )


def test_record_intent_when_run_given_logs_intent_event_with_run(store: Store) -> None:
    run_id = store.start_run(PAPER, "cfg", "0.1.0", at=T0)

    store.record_intent(make_order("run1-1"), PAPER, run_id)

    assert _events(store) == [("INTENT", None, "PENDING_SUBMIT", {"run_id": run_id})]


def test_record_fills_when_fill_has_no_exchange_id_takes_the_orders(store: Store) -> None:
    # Arrange
    store.record_intent(make_order("run1-1"), PAPER)
    store.record_submission_result("run1-1", OrderStatus.OPEN, "8391")

    # Act
    store.record_fills(
        "run1-1",
        [make_fill("t1")],
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.01"),
        average_price=None,
        position_update=None,
    )

    # Assert: the stored exchange id and average price are kept when none is given
    [fill] = store.load_fills("run1-1")
    assert fill.exchange_order_id == "8391"
    order = store.load_order("run1-1")
    assert order is not None
    assert (order.exchange_order_id, order.average_price) == ("8391", None)


def test_record_fills_when_order_is_for_other_symbol_raises_and_writes_nothing(
    store: Store,
) -> None:
    store.record_intent(make_order("run1-1", symbol="ETH/USDT"), PAPER)

    with pytest.raises(ValueError, match="is for BTC/USDT, the order for ETH/USDT"):
        _record_t1(store)

    assert (_count(store, TradeRow), _count(store, PositionRow)) == (0, 0)
    assert store.load_order("run1-1").status is OrderStatus.PENDING_SUBMIT  # type: ignore[union-attr]


def test_record_fills_when_order_unknown_raises_unknown_order(store: Store) -> None:
    with pytest.raises(UnknownOrderError, match="no-such-id"):
        _record_t1(store, "no-such-id")
    assert _count(store, TradeRow) == 0


# PostgreSQL only: SQLite, in process, takes the generic path (no round trips to save).
@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_order_writes_on_postgresql_take_one_statement_each(store: Store) -> None:
    statements: list[str] = []

    def remember(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(store.engine, "before_cursor_execute", remember)
    try:
        store.record_intent(make_order("run1-1"), PAPER)
        store.record_submission_result("run1-1", OrderStatus.OPEN, "8391")
        store.record_fills(
            "run1-1",
            [make_fill("t1"), make_fill("t2")],
            order_status=OrderStatus.FILLED,
            filled_quantity=Decimal("0.02"),
            average_price=Decimal(60000),
            position_update=_position("0.02", "1200"),
        )
    finally:
        event.remove(store.engine, "before_cursor_execute", remember)

    assert len(statements) == 3, statements
    assert _count(store, TradeRow) == 2


def test_record_fills_when_no_fills_sets_state_and_logs_empty_fills_event(store: Store) -> None:
    store.record_intent(make_order("run1-1"), PAPER)

    recorded = store.record_fills(
        "run1-1",
        [],
        order_status=OrderStatus.CANCELED,
        filled_quantity=Decimal(0),
        average_price=None,
        position_update=None,
    )

    assert (recorded.new_trade_ids, recorded.duplicate_trade_ids) == ((), ())
    assert store.load_order("run1-1").status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert _events(store)[-1][:3] == ("FILLS", "PENDING_SUBMIT", "CANCELED")
    assert _events(store)[-1][3]["new_trade_ids"] == []
