"""Execution: sizing, balance caps, step/tick rounding, exchange minimums, client order ids."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest

from imb_bot.core.decisions import RejectCode, Rejected
from imb_bot.core.execution import (
    CLIENT_ORDER_ID_PATTERN,
    ClientOrderIdFactory,
    ExecutionConfig,
    ExecutionEngine,
    build_order_from_signal,
    floor_to_step,
    order_notional,
    round_price_to_tick,
    sellable_quantity,
)
from imb_bot.core.models import (
    MarketRules,
    Order,
    OrderStatus,
    OrderType,
    Side,
    Signal,
    SignalAction,
    SizeType,
    TimeInForce,
)
from imb_bot.core.testing import T0, btc_rules

RULES = btc_rules()
MARKET = ExecutionConfig()
LIMIT = ExecutionConfig(order_type=OrderType.LIMIT)


def _signal(
    action: SignalAction = SignalAction.BUY,
    size_type: SizeType = SizeType.FIXED_QUOTE,
    size_value: str = "100",
) -> Signal:
    return Signal(
        action=action,
        symbol="BTC/USDT",
        strategy_id="rsi_ema",
        candle_time=T0,
        reason="RSI(14)=25.00 < oversold 30",
        size_type=size_type,
        size_value=Decimal(size_value),
    )


def _build(
    signal: Signal,
    *,
    price: str = "30000",
    base_free: str = "1",
    quote_free: str = "10000",
    equity: str = "10000",
    rules: MarketRules = RULES,
    config: ExecutionConfig = MARKET,
    ids: ClientOrderIdFactory | None = None,
    limit_price: str | None = None,
) -> Order | Rejected:
    return build_order_from_signal(
        signal,
        rules=rules,
        price=Decimal(price),
        base_free=Decimal(base_free),
        quote_free=Decimal(quote_free),
        equity_quote=Decimal(equity),
        ids=ids or ClientOrderIdFactory("run1"),
        now=T0,
        config=config,
        limit_price=Decimal(limit_price) if limit_price else None,
    )


def _order(result: Order | Rejected) -> Order:
    assert isinstance(result, Order), result
    return result


# ------------------------------------------------------------------------- rounding helpers
@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("0.0012345", "0.00001", "0.00123"),
        ("0.00123", "0.00001", "0.00123"),
        ("7.99", "0.5", "7.5"),
        ("0.0012345", "0", "0.0012345"),
    ],
)
def test_floor_to_step_when_value_between_steps_rounds_down(
    value: str, step: str, expected: str
) -> None:
    # Act / Assert
    assert floor_to_step(Decimal(value), Decimal(step)) == Decimal(expected)


@pytest.mark.parametrize(
    ("side", "price", "expected"),
    [
        (Side.BUY, "40000.129", "40000.12"),
        (Side.SELL, "40000.121", "40000.13"),
        (Side.BUY, "40000.13", "40000.13"),
        (Side.SELL, "40000.13", "40000.13"),
    ],
)
def test_round_price_to_tick_when_off_tick_rounds_buy_down_sell_up(
    side: Side, price: str, expected: str
) -> None:
    # Act / Assert
    assert round_price_to_tick(Decimal(price), Decimal("0.01"), side) == Decimal(expected)


# ------------------------------------------------------------------------------- sizing
def test_build_when_fixed_quote_buy_rounds_quantity_down_to_step() -> None:
    # Act
    order = _order(_build(_signal(size_value="100")))

    # Assert: 100 / 30000 = 0.0033333... → 0.00333
    assert order.quantity == Decimal("0.00333")
    assert (order.side, order.type, order.price, order.time_in_force) == (
        Side.BUY,
        OrderType.MARKET,
        None,
        None,
    )
    assert order.client_order_id == "run1-1"
    assert order.status is OrderStatus.PENDING_SUBMIT
    assert (order.reason, order.strategy, order.created_at) == (
        "RSI(14)=25.00 < oversold 30",
        "rsi_ema",
        T0,
    )


def test_build_when_buy_exceeds_free_quote_spends_at_most_free() -> None:
    # Act
    order = _order(_build(_signal(size_value="100"), quote_free="50"))

    # Assert: 50 / 30000 = 0.0016666 → 0.00166, costs 49.80 <= 50
    assert order.quantity == Decimal("0.00166")
    assert order.quantity * Decimal(30000) <= Decimal(50)


def test_build_when_buy_price_buffer_set_keeps_quote_for_slippage() -> None:
    # Arrange
    config = ExecutionConfig(buy_price_buffer_bps=Decimal(100))

    # Act
    order = _order(_build(_signal(size_value="100"), quote_free="50", config=config))

    # Assert: 50 / (30000 * 1.01) = 0.00165016 → 0.00165
    assert order.quantity == Decimal("0.00165")


def test_build_when_sell_exceeds_free_base_sells_at_most_held() -> None:
    # Act
    order = _order(
        _build(
            _signal(SignalAction.SELL, SizeType.FIXED_BASE, "1"),
            base_free="0.123456789",
            price="29999",
        )
    )

    # Assert
    assert order.side is Side.SELL
    assert order.quantity == Decimal("0.12345")


def test_build_when_fixed_quote_sell_converts_at_reference_price() -> None:
    # Act
    order = _order(_build(_signal(SignalAction.SELL, SizeType.FIXED_QUOTE, "600"), price="30000"))

    # Assert
    assert order.quantity == Decimal("0.02")


def test_build_when_percent_equity_sizes_from_equity() -> None:
    # Act
    order = _order(
        _build(_signal(size_type=SizeType.PERCENT_EQUITY, size_value="10"), price="25000")
    )

    # Assert: 10% of 10000 = 1000 USDT / 25000
    assert order.quantity == Decimal("0.04")


def test_build_when_market_lot_step_given_uses_it() -> None:
    # Arrange
    rules = btc_rules(market_step_size=Decimal("0.001"), market_min_quantity=Decimal("0.002"))

    # Act
    order = _order(_build(_signal(size_value="100"), price="20000", rules=rules))

    # Assert: 0.005 exactly on the coarser step; 0.0049 would become 0.004
    assert order.quantity == Decimal("0.005")
    smaller = _order(_build(_signal(size_value="98"), price="20000", rules=rules))
    assert smaller.quantity == Decimal("0.004")


def test_build_when_market_step_is_zero_falls_back_to_lot_step() -> None:
    # Arrange: Binance often sends MARKET_LOT_SIZE stepSize 0.00000000
    rules = btc_rules(market_step_size=Decimal(0), market_max_quantity=Decimal("0.002"))

    # Act
    order = _order(_build(_signal(size_value="100"), rules=rules))

    # Assert: capped by MARKET_LOT_SIZE maxQty
    assert order.quantity == Decimal("0.002")


def test_build_when_limit_buy_rounds_price_down_and_sets_gtc() -> None:
    # Act
    order = _order(_build(_signal(size_value="100"), config=LIMIT, limit_price="30000.129"))

    # Assert
    assert order.type is OrderType.LIMIT
    assert order.price == Decimal("30000.12")
    assert order.time_in_force is TimeInForce.GTC
    assert order.quantity == Decimal("0.00333")


def test_build_when_limit_sell_rounds_price_up() -> None:
    # Act
    order = _order(
        _build(
            _signal(SignalAction.SELL, SizeType.FIXED_BASE, "0.5"),
            config=LIMIT,
            limit_price="30000.121",
        )
    )

    # Assert
    assert order.price == Decimal("30000.13")


def test_build_when_limit_price_omitted_uses_reference_price() -> None:
    # Act
    order = _order(_build(_signal(), price="30000.555", config=LIMIT))

    # Assert
    assert order.price == Decimal("30000.55")


# --------------------------------------------------------------------------- rejections
def test_build_when_quantity_below_min_rejects() -> None:
    # Arrange
    rules = btc_rules(min_quantity=Decimal("0.001"), min_notional=Decimal(1))

    # Act
    result = _build(_signal(size_value="20"), rules=rules)

    # Assert: 20 / 30000 = 0.00066 < 0.001
    assert result == Rejected(
        RejectCode.QUANTITY_BELOW_MIN,
        "min=0.001 BTC, order=0.00066 BTC (wanted 0.000666666667 BTC)",
    )


def test_build_when_notional_below_min_rejects() -> None:
    # Act
    result = _build(_signal(size_value="4.5"))

    # Assert: 4.5 / 30000 = 0.00015 BTC → 4.50 USDT < 5
    assert result == Rejected(
        RejectCode.NOTIONAL_BELOW_MIN, "min=5 USDT, order=4.5 USDT (0.00015 BTC x 30000)"
    )


def test_build_when_free_quote_too_small_rejects_insufficient_balance() -> None:
    # Act
    result = _build(_signal(size_value="100"), quote_free="3")

    # Assert
    assert isinstance(result, Rejected)
    assert result.code is RejectCode.INSUFFICIENT_BALANCE
    assert "free 3 USDT at 30000" in result.message
    assert "min_notional=5 USDT" in result.message


def test_build_when_selling_dust_rejects_insufficient_balance() -> None:
    # Act
    result = _build(_signal(SignalAction.SELL, SizeType.FIXED_BASE, "1"), base_free="0.000009")

    # Assert
    assert isinstance(result, Rejected)
    assert result.code is RejectCode.INSUFFICIENT_BALANCE
    assert "free 0.000009 BTC" in result.message


def test_build_when_hold_rejects_not_actionable() -> None:
    # Act
    result = _build(_signal(SignalAction.HOLD))

    # Assert
    assert result == Rejected(RejectCode.NOT_ACTIONABLE, "HOLD signals produce no order")


def test_build_when_reference_price_not_positive_rejects() -> None:
    # Act
    result = _build(_signal(), price="0")

    # Assert
    assert result == Rejected(RejectCode.INVALID_PRICE, "reference price=0 USDT, must be > 0")


def test_build_when_limit_price_outside_filter_rejects() -> None:
    # Act
    result = _build(_signal(), config=LIMIT, limit_price="2000000")

    # Assert
    assert result == Rejected(
        RejectCode.PRICE_OUT_OF_RANGE, "limit price=2000000 USDT, allowed [0.01, 1000000]"
    )


def test_build_when_rejected_does_not_consume_a_client_id() -> None:
    # Arrange
    ids = ClientOrderIdFactory("run1")

    # Act
    _build(_signal(size_value="1"), ids=ids)
    order = _order(_build(_signal(), ids=ids))

    # Assert
    assert order.client_order_id == "run1-1"
    assert ids.next_sequence == 2


def test_build_when_symbol_differs_from_rules_raises() -> None:
    # Arrange
    signal = replace(_signal(), symbol="ETH/USDT")

    # Act / Assert
    with pytest.raises(ValueError, match="signal symbol 'ETH/USDT' does not match rules"):
        _build(signal)


def test_build_when_now_is_naive_raises() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="now must be a timezone-aware UTC datetime"):
        build_order_from_signal(
            _signal(),
            rules=RULES,
            price=Decimal(30000),
            base_free=Decimal(0),
            quote_free=Decimal(100),
            equity_quote=Decimal(100),
            ids=ClientOrderIdFactory("run1"),
            now=datetime(2024, 1, 1),
        )


def test_engine_when_building_uses_its_config_and_ids() -> None:
    # Arrange
    engine = ExecutionEngine(LIMIT, ClientOrderIdFactory("live_7", next_sequence=41))

    # Act
    order = _order(
        engine.build_order(
            _signal(),
            rules=RULES,
            price=Decimal("30000.005"),
            base_free=Decimal(0),
            quote_free=Decimal(1000),
            equity_quote=Decimal(1000),
            now=T0,
        )
    )

    # Assert
    assert (order.client_order_id, order.type, order.price) == (
        "live_7-41",
        OrderType.LIMIT,
        Decimal("30000.00"),
    )
    assert engine.ids.next_sequence == 42


# ------------------------------------------------------------------ dust and notional
@pytest.mark.parametrize(
    ("held", "price", "expected"),
    [
        ("0.0123456", "30000", "0.01234"),
        ("0.000009", "30000", "0"),  # below the step
        ("0.00016", "30000", "0"),  # 4.80 USDT < min notional 5
        ("0.00017", "30000", "0.00017"),
    ],
)
def test_sellable_quantity_when_dust_is_zero(held: str, price: str, expected: str) -> None:
    # Act / Assert
    assert sellable_quantity(Decimal(held), RULES, Decimal(price)) == Decimal(expected)


def test_order_notional_when_quote_sized_or_limit_or_market_values_accordingly() -> None:
    # Arrange
    market = Order("r-1", "BTC/USDT", Side.BUY, OrderType.MARKET, Decimal("0.01"), T0)

    # Act / Assert
    assert order_notional(market, Decimal(30000)) == Decimal(300)
    assert order_notional(replace(market, price=Decimal(20000))) == Decimal(200)
    assert order_notional(replace(market, quote_quantity=Decimal(50))) == Decimal(50)
    with pytest.raises(ValueError, match="r-1: a market order needs a reference price"):
        order_notional(market)


# ------------------------------------------------------------------------ client ids
def test_client_ids_when_many_issued_are_unique_sequential_and_binance_valid() -> None:
    # Arrange
    ids = ClientOrderIdFactory("imb_20240101T000000")

    # Act
    issued = [ids.next() for _ in range(10_000)]

    # Assert
    assert issued[:2] == ["imb_20240101T000000-1", "imb_20240101T000000-2"]
    assert len(set(issued)) == len(issued)
    assert all(CLIENT_ORDER_ID_PATTERN.fullmatch(i) for i in issued)


def test_client_ids_when_resumed_continue_after_highest_of_same_run() -> None:
    # Arrange
    persisted = ["run7-3", "run7-12", "other-99", "x-TKT5PX2Fabc", "run7-9", "run7-", "run7-1a"]

    # Act
    ids = ClientOrderIdFactory.resume("run7", persisted)

    # Assert
    assert ids.next() == "run7-13"
    assert ClientOrderIdFactory.resume("fresh", persisted).next() == "fresh-1"


def test_client_ids_when_parsing_foreign_id_returns_none() -> None:
    # Act / Assert
    assert ClientOrderIdFactory.parse("run7-12") == ("run7", 12)
    assert ClientOrderIdFactory.parse("x-TKT5PX2F0123456789abcdefgh") is None
    assert ClientOrderIdFactory.parse("nohyphen") is None


@pytest.mark.parametrize(
    "run_id", ["", "with-hyphen", "a" * 25, "spaces here", "ünïcode", "dots.not.allowed"]
)
def test_client_ids_when_run_id_invalid_raises(run_id: str) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="run_id must be 1-24 characters of \\[a-zA-Z0-9_\\]"):
        ClientOrderIdFactory(run_id)


def test_client_ids_when_id_would_exceed_36_chars_raises() -> None:
    # Arrange
    ids = ClientOrderIdFactory("a" * 24, next_sequence=10**11)

    # Act / Assert
    with pytest.raises(ValueError, match="longer than 36 characters"):
        ids.next()
    assert ids.next_sequence == 10**11


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"buy_price_buffer_bps": Decimal(-1)}, "buy_price_buffer_bps must be a Decimal in"),
        ({"buy_price_buffer_bps": 5}, "buy_price_buffer_bps must be a Decimal in"),
        ({"order_type": "STOP"}, "order_type must be one of \\['MARKET', 'LIMIT'\\]"),
        ({"time_in_force": "GTX"}, "time_in_force must be one of"),
    ],
)
def test_config_when_invalid_raises_naming_field_expected_and_actual(
    overrides: dict[str, object], match: str
) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=match):
        ExecutionConfig(**overrides)  # type: ignore[arg-type]
