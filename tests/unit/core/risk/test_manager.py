"""RiskManager: each rule accepting and rejecting, trading states, daily-loss halt, log."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from imb_bot.core.decisions import APPROVED, RejectCode, Rejected
from imb_bot.core.models import Order, OrderType, Side, Signal, SignalAction
from imb_bot.core.risk import (
    PositionExposure,
    RiskConfig,
    RiskManager,
    RiskSnapshot,
    TradingState,
)
from imb_bot.core.testing import T0

NOW = T0 + timedelta(hours=12)
SYMBOL = "BTC/USDT"


def _config(**overrides: object) -> RiskConfig:
    base = RiskConfig(
        max_trades_per_day=3,
        max_open_positions=2,
        max_daily_loss_quote=Decimal(100),
        max_position_notional_quote=Decimal(1000),
        max_order_notional_quote=Decimal(500),
        min_trade_interval_s=60.0,
        max_orders_per_window=2,
        order_rate_window_s=10.0,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def _snapshot(**overrides: object) -> RiskSnapshot:
    base = RiskSnapshot(now=NOW, equity_quote=Decimal(10_000), cash_quote=Decimal(10_000))
    return replace(base, **overrides)  # type: ignore[arg-type]


def _signal(action: SignalAction = SignalAction.BUY, symbol: str = SYMBOL) -> Signal:
    return Signal(action=action, symbol=symbol, strategy_id="rsi_ema", candle_time=NOW, reason="t")


def _order(side: Side = Side.BUY, quantity: str = "0.01", price: str | None = None) -> Order:
    return Order(
        client_order_id="run1-1",
        symbol=SYMBOL,
        side=side,
        type=OrderType.LIMIT if price else OrderType.MARKET,
        quantity=Decimal(quantity),
        created_at=NOW,
        price=Decimal(price) if price else None,
    )


def _losing(loss: str, now_offset: timedelta = timedelta(0)) -> RiskSnapshot:
    # Half realized, half unrealized: the limit is measured on their sum.
    half = Decimal(loss) / 2
    return _snapshot(
        now=NOW + now_offset, realized_pnl_today_quote=-half, unrealized_pnl_quote=-half
    )


BUY, SELL = SignalAction.BUY, SignalAction.SELL


def test_validate_signal_when_hold_approves_without_recording() -> None:
    # Arrange
    risk = RiskManager(_config(initial_state=TradingState.HALTED))

    # Act
    decision = risk.validate_signal(_signal(SignalAction.HOLD), _snapshot())

    # Assert
    assert decision is APPROVED
    assert risk.rejection_counts == {}


def test_validate_signal_when_within_every_limit_approves() -> None:
    # Arrange
    risk = RiskManager(_config())
    snapshot = _snapshot(
        trades_today=2,
        positions={"ETH/USDT": PositionExposure(Decimal(1), Decimal(300))},
        last_trade_time={SYMBOL: NOW - timedelta(seconds=60)},
        recent_order_times=[NOW - timedelta(seconds=5)],
        realized_pnl_today_quote=Decimal("-99.99"),
    )

    # Act
    decision = risk.validate_signal(_signal(), snapshot)

    # Assert
    assert decision is APPROVED
    assert risk.trading_state is TradingState.ACTIVE


def test_validate_signal_when_trades_today_at_max_rejects_entry_allows_exit() -> None:
    # Arrange
    risk = RiskManager(_config())
    snapshot = _snapshot(trades_today=3)

    # Act
    entry = risk.validate_signal(_signal(BUY), snapshot)
    exit_ = risk.validate_signal(_signal(SELL), snapshot)

    # Assert
    assert entry == Rejected(RejectCode.MAX_TRADES_PER_DAY, "max=3, trades today=3")
    assert exit_ is APPROVED


def test_validate_signal_when_open_positions_at_max_rejects_new_symbol_only() -> None:
    # Arrange
    risk = RiskManager(_config())
    positions = {
        SYMBOL: PositionExposure(Decimal("0.01"), Decimal(300)),
        "ETH/USDT": PositionExposure(Decimal(1), Decimal(300)),
    }
    snapshot = _snapshot(positions=positions)

    # Act
    new_symbol = risk.validate_signal(_signal(BUY, "SOL/USDT"), snapshot)
    same_symbol = risk.validate_signal(_signal(BUY, SYMBOL), snapshot)

    # Assert
    assert new_symbol == Rejected(
        RejectCode.MAX_OPEN_POSITIONS, "max=2, open=2 (BTC/USDT, ETH/USDT)"
    )
    assert same_symbol is APPROVED


def test_validate_signal_when_last_trade_too_recent_rejects_entry_allows_exit() -> None:
    # Arrange
    risk = RiskManager(_config())
    snapshot = _snapshot(last_trade_time={SYMBOL: NOW - timedelta(seconds=59.5)})

    # Act
    entry = risk.validate_signal(_signal(BUY), snapshot)
    other_symbol = risk.validate_signal(_signal(BUY, "ETH/USDT"), snapshot)
    exit_ = risk.validate_signal(_signal(SELL), snapshot)

    # Assert
    assert entry == Rejected(
        RejectCode.MIN_TRADE_INTERVAL, "min=60 s, since last BTC/USDT order=59.5 s"
    )
    assert other_symbol is APPROVED
    assert exit_ is APPROVED


def test_validate_signal_when_order_rate_reached_rejects_entries_and_exits() -> None:
    # Arrange
    risk = RiskManager(_config())
    times = [NOW - timedelta(seconds=9), NOW - timedelta(seconds=1)]
    snapshot = _snapshot(recent_order_times=times)

    # Act
    entry = risk.validate_signal(_signal(BUY), snapshot)
    exit_ = risk.validate_signal(_signal(SELL), snapshot)

    # Assert
    expected = Rejected(RejectCode.ORDER_RATE_LIMIT, "max=2 orders per 10 s, sent=2")
    assert entry == expected
    assert exit_ == expected


def test_validate_signal_when_old_orders_left_the_window_approves() -> None:
    # Arrange: oldest first; the window is (now - 10 s, now]
    risk = RiskManager(_config())
    times = [NOW - timedelta(seconds=30), NOW - timedelta(seconds=10), NOW - timedelta(seconds=1)]

    # Act
    decision = risk.validate_signal(_signal(BUY), _snapshot(recent_order_times=times))

    # Assert
    assert decision is APPROVED


def test_validate_signal_when_daily_loss_reaches_limit_halts_and_rejects() -> None:
    # Arrange
    risk = RiskManager(_config())

    # Act
    entry = risk.validate_signal(_signal(BUY), _losing("100"))
    exit_ = risk.validate_signal(_signal(SELL), _losing("100"))

    # Assert
    assert risk.trading_state is TradingState.HALTED
    change = risk.last_state_change
    assert change is not None and change.automatic
    assert (change.previous, change.current, change.time) == (
        TradingState.ACTIVE,
        TradingState.HALTED,
        NOW,
    )
    assert change.reason == "DAILY_LOSS_LIMIT: loss 100 USDT >= max 100 USDT"
    assert isinstance(entry, Rejected) and entry.code is RejectCode.TRADING_HALTED
    assert "DAILY_LOSS_LIMIT" in entry.message
    assert isinstance(exit_, Rejected) and exit_.code is RejectCode.TRADING_HALTED


def test_validate_signal_when_daily_loss_below_limit_stays_active() -> None:
    # Arrange
    risk = RiskManager(_config())

    # Act
    decision = risk.validate_signal(_signal(BUY), _losing("99.98"))

    # Assert
    assert decision is APPROVED
    assert risk.trading_state is TradingState.ACTIVE


def test_evaluate_when_loss_breached_without_signal_halts_once() -> None:
    # Arrange
    risk = RiskManager(_config())

    # Act
    first = risk.evaluate(_losing("150"))
    second = risk.evaluate(_losing("150"))

    # Assert
    assert first is not None and first.current is TradingState.HALTED
    assert second is None
    assert risk.evaluate(_snapshot()) is None


def test_halt_when_day_rolls_over_persists_until_human_resumes() -> None:
    # Arrange
    risk = RiskManager(_config())
    risk.evaluate(_losing("150"))
    next_day = _snapshot(now=NOW + timedelta(days=1))

    # Act
    after_midnight = risk.validate_signal(_signal(BUY), next_day)
    risk.set_trading_state(TradingState.ACTIVE, reason="operator resumed", now=next_day.now)
    after_resume = risk.validate_signal(_signal(BUY), next_day)

    # Assert
    assert isinstance(after_midnight, Rejected)
    assert after_midnight.code is RejectCode.TRADING_HALTED
    assert after_resume is APPROVED
    assert risk.trading_state_reason == "operator resumed"


def test_resume_when_loss_still_breached_same_day_allows_exits_refuses_entries() -> None:
    # Arrange
    risk = RiskManager(_config())
    risk.evaluate(_losing("150"))
    later = timedelta(hours=1)

    # Act
    change = risk.set_trading_state(TradingState.ACTIVE, reason="close out", now=NOW + later)
    entry = risk.validate_signal(_signal(BUY), _losing("150", later))
    exit_ = risk.validate_signal(_signal(SELL), _losing("150", later))

    # Assert: no automatic re-halt the same day, but no new exposure either
    assert not change.automatic and change.previous is TradingState.HALTED
    assert risk.trading_state is TradingState.ACTIVE
    assert entry == Rejected(
        RejectCode.DAILY_LOSS_LIMIT,
        "max=100 USDT, loss=150 USDT (realized today -75, unrealized -75)",
    )
    assert exit_ is APPROVED


def test_resume_when_loss_breached_again_next_day_halts_again() -> None:
    # Arrange
    risk = RiskManager(_config())
    risk.evaluate(_losing("150"))
    risk.set_trading_state(TradingState.ACTIVE, reason="resume", now=NOW)

    # Act
    change = risk.evaluate(_losing("150", timedelta(days=1)))

    # Assert
    assert change is not None and change.automatic
    assert risk.trading_state is TradingState.HALTED


def test_validate_signal_when_reducing_rejects_entries_allows_exits() -> None:
    # Arrange
    risk = RiskManager(_config())
    risk.set_trading_state(TradingState.REDUCING, reason="maintenance", now=NOW)

    # Act
    entry = risk.validate_signal(_signal(BUY), _snapshot())
    exit_ = risk.validate_signal(_signal(SELL), _snapshot())
    exit_order = risk.validate_order(_order(Side.SELL), _snapshot(), reference_price=Decimal(1))

    # Assert
    assert entry == Rejected(
        RejectCode.REDUCING_ONLY, "trading is REDUCING (maintenance): only exits are allowed"
    )
    assert exit_ is APPROVED
    assert exit_order is APPROVED


def test_validate_signal_when_halted_by_hand_rejects_everything() -> None:
    # Arrange
    risk = RiskManager(_config())
    risk.set_trading_state(TradingState.HALTED, reason="operator halt", now=NOW)

    # Act
    decisions = [risk.validate_signal(_signal(a), _snapshot()) for a in (BUY, SELL)]

    # Assert
    expected = Rejected(RejectCode.TRADING_HALTED, "trading is HALTED (operator halt)")
    assert decisions == [expected, expected]


def test_validate_order_when_order_notional_above_max_rejects_with_numbers() -> None:
    # Arrange
    risk = RiskManager(_config())

    # Act
    decision = risk.validate_order(
        _order(quantity="0.02"), _snapshot(), reference_price=Decimal("30620")
    )

    # Assert
    assert decision == Rejected(
        RejectCode.ORDER_NOTIONAL_EXCEEDS_MAX, "max=500 USDT, order=612.4 USDT"
    )


def test_validate_order_when_order_notional_at_max_approves() -> None:
    # Arrange
    risk = RiskManager(_config())

    # Act: a limit order is valued at its own price
    decision = risk.validate_order(_order(quantity="0.01", price="50000"), _snapshot())

    # Assert
    assert decision is APPROVED


def test_validate_order_when_position_would_exceed_max_rejects() -> None:
    # Arrange
    risk = RiskManager(_config())
    snapshot = _snapshot(positions={SYMBOL: PositionExposure(Decimal("0.03"), Decimal(800))})

    # Act
    fits = risk.validate_order(_order(quantity="0.005"), snapshot, reference_price=Decimal(40000))
    too_big = risk.validate_order(_order(quantity="0.01"), snapshot, reference_price=Decimal(40000))

    # Assert
    assert fits is APPROVED
    assert too_big == Rejected(
        RejectCode.POSITION_NOTIONAL_EXCEEDS_MAX,
        "max=1000 USDT, position=800 USDT + order=400 USDT = 1200 USDT",
    )


def test_validate_order_when_exit_is_large_ignores_notional_limits() -> None:
    # Arrange: the position grew beyond every notional cap; it must still be sellable
    risk = RiskManager(_config())
    snapshot = _snapshot(positions={SYMBOL: PositionExposure(Decimal(1), Decimal(60000))})

    # Act
    decision = risk.validate_order(
        _order(Side.SELL, quantity="1"), snapshot, reference_price=Decimal(60000)
    )

    # Assert
    assert decision is APPROVED


def test_validate_order_when_gate_fails_rejects_before_notional() -> None:
    # Arrange
    risk = RiskManager(_config())

    # Act
    decision = risk.validate_order(
        _order(quantity="1"), _snapshot(trades_today=3), reference_price=Decimal(1)
    )

    # Assert
    assert isinstance(decision, Rejected) and decision.code is RejectCode.MAX_TRADES_PER_DAY


def test_validate_order_when_market_order_without_reference_price_raises() -> None:
    # Arrange
    risk = RiskManager(_config())

    # Act / Assert
    with pytest.raises(ValueError, match="run1-1: a market order needs a reference price"):
        risk.validate_order(_order(), _snapshot())


def test_limits_when_disabled_approve_anything() -> None:
    # Arrange
    risk = RiskManager(
        RiskConfig(
            max_trades_per_day=None,
            max_open_positions=None,
            max_daily_loss_quote=None,
            max_position_notional_quote=None,
            max_order_notional_quote=None,
            min_trade_interval_s=0.0,
            max_orders_per_window=None,
        )
    )
    snapshot = _snapshot(
        trades_today=10_000,
        positions={f"C{i}/USDT": PositionExposure(Decimal(1), Decimal(1)) for i in range(50)},
        last_trade_time={SYMBOL: NOW},
        recent_order_times=[NOW] * 100,
        realized_pnl_today_quote=Decimal(-(10**9)),
    )

    # Act
    decision = risk.validate_order(_order(quantity="999999"), snapshot, reference_price=Decimal(9))

    # Assert
    assert decision is APPROVED
    assert risk.trading_state is TradingState.ACTIVE


def test_rejections_when_many_are_counted_by_code_and_recent_list_is_bounded() -> None:
    # Arrange
    risk = RiskManager(_config(max_recent_rejections=3))

    # Act
    for i in range(4):
        risk.validate_signal(_signal(BUY), _snapshot(trades_today=3 + i))
    risk.validate_signal(
        _signal(SELL), _snapshot(recent_order_times=[NOW, NOW], now=NOW + timedelta(seconds=1))
    )

    # Assert
    assert risk.rejection_counts == {
        RejectCode.MAX_TRADES_PER_DAY: 4,
        RejectCode.ORDER_RATE_LIMIT: 1,
    }
    recent = risk.recent_rejections
    assert [r.code for r in recent] == [
        RejectCode.MAX_TRADES_PER_DAY,
        RejectCode.MAX_TRADES_PER_DAY,
        RejectCode.ORDER_RATE_LIMIT,
    ]
    assert recent[0].message == "max=3, trades today=5"
    assert (recent[-1].symbol, recent[-1].action) == (SYMBOL, "SELL")
    assert recent[-1].time == NOW + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"max_trades_per_day": 0}, "max_trades_per_day must be an int > 0 or None"),
        ({"max_open_positions": True}, "max_open_positions must be an int > 0 or None"),
        ({"max_daily_loss_quote": Decimal(-1)}, "max_daily_loss_quote must be a Decimal > 0"),
        ({"max_order_notional_quote": 500}, "max_order_notional_quote must be a Decimal > 0"),
        ({"min_trade_interval_s": -1.0}, "min_trade_interval_s must be a number of seconds >= 0"),
        ({"order_rate_window_s": 0}, "order_rate_window_s must be a number of seconds > 0, got 0"),
        ({"max_recent_rejections": 0}, "max_recent_rejections must be an int >= 1, got 0"),
        ({"quote_asset": ""}, "quote_asset must be a non-empty asset code"),
        ({"initial_state": "RUNNING"}, "initial_state must be one of"),
    ],
)
def test_config_when_invalid_raises_naming_field_expected_and_actual(
    overrides: dict[str, object], match: str
) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=match):
        _config(**overrides)


def test_snapshot_when_now_is_naive_raises() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="now must be a timezone-aware UTC datetime"):
        _snapshot(now=NOW.replace(tzinfo=None))
