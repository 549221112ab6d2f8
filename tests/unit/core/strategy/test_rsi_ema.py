"""rsi_ema strategy: entry/exit rule, trend filter, warm-up, closed-candle order, no look-ahead."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from imb_bot.core.models import Candle, Signal, SignalAction, SizeType
from imb_bot.core.strategy import (
    HoldReason,
    RsiEmaConfig,
    RsiEmaStrategy,
    StaleCandleError,
    Strategy,
)
from imb_bot.core.testing import T0, candles_from_closes, random_walk_closes

FLAT = Decimal(0)
HELD = Decimal("0.5")

# 60 rising candles then two hard drops: RSI 29.44 while EMA12 is still above EMA26.
DIP_IN_UPTREND = [100.0 + i for i in range(60)] + [144.0, 129.0]
# A steady fall: RSI 0 and EMA12 below EMA26.
CRASH = [200.0 - 3 * i for i in range(40)]
RALLY = [100.0 + 3 * i for i in range(40)]


def _config(**overrides: object) -> RsiEmaConfig:
    return replace(RsiEmaConfig(symbol="BTC/USDT"), **overrides)  # type: ignore[arg-type]


def _run(strategy: Strategy, candles: list[Candle], position: Decimal = FLAT) -> list[Signal]:
    return [strategy.on_candle(candle, position) for candle in candles]


def _simulate(strategy: RsiEmaStrategy, candles: list[Candle]) -> list[Signal]:
    # Position follows the signals, as the live loop would report it.
    position = FLAT
    out = []
    for candle in candles:
        signal = strategy.on_candle(candle, position)
        if signal.action is SignalAction.BUY:
            position = HELD
        elif signal.action is SignalAction.SELL:
            position = FLAT
        out.append(signal)
    return out


def _random_walk_candles(n: int, seed: int) -> list[Candle]:
    return candles_from_closes(random_walk_closes(n, seed=seed, start=1000.0, step_sd=4.0))


def test_on_candle_when_price_drops_hard_while_flat_buys_with_levels() -> None:
    # Arrange
    strategy = RsiEmaStrategy(_config(stop_loss_pct=Decimal(2), take_profit_pct=Decimal(4)))

    # Act
    signals = _run(strategy, candles_from_closes(CRASH))

    # Assert
    first = next(s for s in signals if s.action is not SignalAction.HOLD)
    index = signals.index(first)
    assert first.action is SignalAction.BUY
    assert index == strategy.warm_up_candles - 1  # the first candle with every indicator
    close = Decimal(repr(CRASH[index]))
    assert first.stop_loss == close * Decimal("0.98")
    assert first.take_profit == close * Decimal("1.04")
    assert (first.size_type, first.size_value) == (SizeType.FIXED_QUOTE, Decimal(100))
    assert first.strategy_id == "rsi_ema" and first.symbol == "BTC/USDT"
    assert first.candle_time == T0 + timedelta(minutes=index)
    assert first.reason.startswith("RSI(14)=0.00 < oversold 30")


def test_on_candle_when_price_rises_hard_while_long_sells_whole_position() -> None:
    # Arrange
    strategy = RsiEmaStrategy(_config())

    # Act
    signals = _run(strategy, candles_from_closes(RALLY), position=HELD)

    # Assert
    actions = {s.action for s in signals[strategy.warm_up_candles - 1 :]}
    assert actions == {SignalAction.SELL}
    sell = signals[-1]
    assert (sell.size_type, sell.size_value) == (SizeType.FIXED_BASE, HELD)
    assert sell.stop_loss is None and sell.take_profit is None
    assert sell.reason == "RSI(14)=100.00 > overbought 70"


def test_on_candle_when_price_rises_hard_while_flat_holds() -> None:
    # Arrange
    strategy = RsiEmaStrategy(_config())

    # Act
    signals = _run(strategy, candles_from_closes(RALLY))

    # Assert: long-only, nothing to sell
    assert {s.action for s in signals} == {SignalAction.HOLD}
    assert signals[-1].reason == HoldReason.NO_ENTRY


def test_on_candle_when_price_drops_hard_while_long_holds() -> None:
    # Arrange
    strategy = RsiEmaStrategy(_config())

    # Act
    signals = _run(strategy, candles_from_closes(CRASH), position=HELD)

    # Assert: no averaging down; exits on a crash are the stop-loss's job
    assert {s.action for s in signals} == {SignalAction.HOLD}
    assert signals[-1].reason == HoldReason.NO_EXIT


def test_on_candle_when_trend_filter_on_and_fast_below_slow_blocks_buy() -> None:
    # Arrange
    strategy = RsiEmaStrategy(_config(trend_filter=True))

    # Act
    signals = _run(strategy, candles_from_closes(CRASH))

    # Assert
    assert {s.action for s in signals} == {SignalAction.HOLD}
    assert signals[-1].reason == HoldReason.TREND_FILTER
    rsi, fast, slow = strategy.indicators
    assert rsi is not None and rsi < 30
    assert fast is not None and slow is not None and fast < slow


def test_on_candle_when_trend_filter_on_and_dip_in_uptrend_buys() -> None:
    # Arrange
    strategy = RsiEmaStrategy(_config(trend_filter=True))

    # Act
    signals = _run(strategy, candles_from_closes(DIP_IN_UPTREND))

    # Assert
    assert [s.action for s in signals].count(SignalAction.BUY) == 1
    assert signals[-1].action is SignalAction.BUY
    assert "EMA(12)=" in signals[-1].reason and " > EMA(26)=" in signals[-1].reason


def test_on_candle_when_warming_up_holds_until_every_indicator_is_ready() -> None:
    # Arrange
    strategy = RsiEmaStrategy(_config())
    candles = candles_from_closes(CRASH)

    # Act
    signals = _run(strategy, candles[: strategy.warm_up_candles - 1])

    # Assert
    assert strategy.warm_up_candles == 26
    assert all(s.reason == HoldReason.WARMING_UP for s in signals)
    assert not strategy.is_warm


def test_warm_up_when_history_given_decides_like_candle_by_candle() -> None:
    # Arrange
    candles = _random_walk_candles(600, seed=3)
    warmed, streamed = RsiEmaStrategy(_config()), RsiEmaStrategy(_config())

    # Act
    warmed.warm_up(candles[:300])
    _run(streamed, candles[:300])
    after_warm_up = _simulate(warmed, candles[300:])
    after_stream = _simulate(streamed, candles[300:])

    # Assert
    assert after_warm_up == after_stream
    assert warmed.indicators == streamed.indicators


def test_on_candle_when_time_not_after_last_raises_and_keeps_state() -> None:
    # Arrange
    strategy = RsiEmaStrategy(_config())
    candles = candles_from_closes(CRASH)
    _run(strategy, candles[:30])
    before = strategy.indicators

    # Act / Assert
    for stale in (candles[29], candles[10]):
        with pytest.raises(StaleCandleError, match="is not after the last candle"):
            strategy.on_candle(stale, FLAT)
    assert strategy.indicators == before
    assert strategy.last_time == candles[29].time


def test_on_candle_when_time_is_naive_raises() -> None:
    # Arrange
    strategy = RsiEmaStrategy(_config())
    candle = replace(candles_from_closes([100.0])[0], time=datetime(2024, 1, 1))

    # Act / Assert
    with pytest.raises(ValueError, match="candle time must be a timezone-aware UTC datetime"):
        strategy.on_candle(candle, FLAT)


@pytest.mark.parametrize("close", [0.0, -1.0, float("nan")])
def test_on_close_when_close_not_positive_raises(close: float) -> None:
    # Arrange
    strategy = RsiEmaStrategy(_config())

    # Act / Assert
    with pytest.raises(ValueError, match="close must be a price > 0"):
        strategy.on_close(T0, close, FLAT)
    assert strategy.last_time is None


def test_on_close_when_same_candles_decides_like_on_candle() -> None:
    # Arrange
    candles = _random_walk_candles(3000, seed=11)
    live, fast = RsiEmaStrategy(_config()), RsiEmaStrategy(_config())

    # Act
    live_signals = _simulate(live, candles)
    fast_signals: list[Signal | None] = []
    position = FLAT
    for candle in candles:
        signal = fast.on_close(candle.time, float(candle.close), position)
        if signal is not None:
            position = HELD if signal.action is SignalAction.BUY else FLAT
        fast_signals.append(signal)

    # Assert
    expected = [s if s.action is not SignalAction.HOLD else None for s in live_signals]
    assert fast_signals == expected
    assert sum(s is not None for s in fast_signals) > 10  # the walk really trades


def test_signals_when_computed_on_prefix_equal_full_series_at_same_indices() -> None:
    # Arrange
    candles = _random_walk_candles(2000, seed=5)

    # Act
    full = _simulate(RsiEmaStrategy(_config()), candles)
    prefix = _simulate(RsiEmaStrategy(_config()), candles[:1200])

    # Assert
    assert prefix == full[:1200]


def test_signals_when_future_candles_change_past_signals_do_not() -> None:
    # Arrange
    candles = _random_walk_candles(2000, seed=9)
    cut = 1000
    changed = candles[:cut] + [
        replace(c, close=c.close * Decimal(3), high=c.high * 3, low=c.low * 3)
        for c in candles[cut:]
    ]

    # Act
    original = _simulate(RsiEmaStrategy(_config()), candles)
    altered = _simulate(RsiEmaStrategy(_config()), changed)

    # Assert
    assert altered[:cut] == original[:cut]
    assert altered[cut:] != original[cut:]


def test_on_candle_when_run_twice_is_deterministic() -> None:
    # Arrange
    candles = _random_walk_candles(1500, seed=21)

    # Act
    first = _simulate(RsiEmaStrategy(_config(trend_filter=True)), candles)
    second = _simulate(RsiEmaStrategy(_config(trend_filter=True)), candles)

    # Assert
    assert first == second


def test_on_candle_when_levels_disabled_buys_without_stop_and_target() -> None:
    # Arrange
    strategy = RsiEmaStrategy(_config(stop_loss_pct=None, take_profit_pct=None))

    # Act
    signals = _run(strategy, candles_from_closes(CRASH))

    # Assert
    buy = signals[-1]
    assert buy.action is SignalAction.BUY
    assert buy.stop_loss is None and buy.take_profit is None


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"rsi_period": 1}, "rsi_period must be an int >= 2 \\(candles\\), got 1"),
        ({"ema_fast_period": 26}, "ema_fast_period must be < ema_slow_period \\(26\\), got 26"),
        ({"rsi_oversold": 0.0}, "rsi_oversold must be in \\(0, 100\\), got 0.0"),
        ({"rsi_overbought": 20.0}, "rsi_overbought must be in \\(rsi_oversold=30.0, 100\\)"),
        ({"stop_loss_pct": Decimal(100)}, "stop_loss_pct must be in \\(0, 100\\) or None, got 100"),
        ({"take_profit_pct": Decimal(0)}, "take_profit_pct must be > 0 or None, got 0"),
        ({"size_value": Decimal(0)}, "size_value must be > 0, got 0"),
        (
            {"size_type": SizeType.PERCENT_EQUITY, "size_value": Decimal(150)},
            "size_value must be <= 100 \\(percent_equity\\), got 150",
        ),
        ({"size_type": "fixed_usd"}, "size_type must be one of"),
        ({"symbol": ""}, "symbol must be a non-empty market symbol"),
    ],
)
def test_config_when_invalid_raises_naming_field_expected_and_actual(
    overrides: dict[str, object], match: str
) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=match):
        _config(**overrides)
