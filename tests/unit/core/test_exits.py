"""Stop-loss / take-profit checks on prices and candles."""

from __future__ import annotations

from decimal import Decimal

import pytest

from imb_bot.core.exits import ExitLevels, check_exit, check_exit_on_candle, check_exits
from imb_bot.core.models import Candle, SignalAction, SizeType
from imb_bot.core.testing import T0

LEVELS = ExitLevels(
    symbol="BTC/USDT",
    quantity=Decimal("0.01"),
    stop_loss=Decimal(29400),
    take_profit=Decimal(31200),
    strategy_id="rsi_ema",
)


def _candle(low: str, high: str) -> Candle:
    return Candle(T0, Decimal(30000), Decimal(high), Decimal(low), Decimal(30000), Decimal(1))


def test_check_exit_when_price_at_stop_sells_position() -> None:
    # Act
    signal = check_exit(LEVELS, Decimal(29400), T0)

    # Assert
    assert signal is not None
    assert (signal.action, signal.size_type, signal.size_value) == (
        SignalAction.SELL,
        SizeType.FIXED_BASE,
        Decimal("0.01"),
    )
    assert signal.reason == "STOP_LOSS: price 29400 <= stop_loss 29400"
    assert (signal.symbol, signal.strategy_id, signal.candle_time) == ("BTC/USDT", "rsi_ema", T0)


def test_check_exit_when_price_at_target_takes_profit() -> None:
    # Act
    signal = check_exit(LEVELS, Decimal("31200.5"), T0)

    # Assert
    assert signal is not None
    assert signal.reason == "TAKE_PROFIT: price 31200.5 >= take_profit 31200"


def test_check_exit_when_price_between_levels_returns_none() -> None:
    # Act / Assert
    assert check_exit(LEVELS, Decimal("29400.01"), T0) is None
    assert check_exit(LEVELS, Decimal("31199.99"), T0) is None


def test_check_exit_when_levels_off_never_exits() -> None:
    # Arrange
    levels = ExitLevels("BTC/USDT", Decimal(1), stop_loss=None, take_profit=None)

    # Act / Assert
    assert check_exit(levels, Decimal("0.01"), T0) is None
    assert check_exit(levels, Decimal(10**9), T0) is None


def test_check_exit_on_candle_when_both_levels_touched_assumes_stop() -> None:
    # Act
    signal = check_exit_on_candle(LEVELS, _candle("29000", "32000"))

    # Assert
    assert signal is not None
    assert signal.reason == "STOP_LOSS: low 29000 <= stop_loss 29400"


def test_check_exit_on_candle_when_high_reaches_target_takes_profit() -> None:
    # Act
    signal = check_exit_on_candle(LEVELS, _candle("29500", "31200"))
    inside = check_exit_on_candle(LEVELS, _candle("29500", "31000"))

    # Assert
    assert signal is not None and signal.reason.startswith("TAKE_PROFIT")
    assert inside is None


def test_check_exits_when_several_positions_returns_hits_and_skips_unpriced() -> None:
    # Arrange
    eth = ExitLevels("ETH/USDT", Decimal(1), stop_loss=Decimal(1800), take_profit=None)
    sol = ExitLevels("SOL/USDT", Decimal(1), stop_loss=Decimal(100), take_profit=None)
    prices = {"BTC/USDT": Decimal(30000), "ETH/USDT": Decimal(1790)}

    # Act
    signals = check_exits([LEVELS, eth, sol], prices, T0)

    # Assert
    assert [s.symbol for s in signals] == ["ETH/USDT"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"quantity": Decimal(0)}, "quantity must be > 0, got 0"),
        ({"stop_loss": Decimal(32000)}, "stop_loss must be < take_profit \\(31200\\), got 32000"),
    ],
)
def test_levels_when_inconsistent_raise(kwargs: dict[str, object], match: str) -> None:
    # Arrange
    fields: dict[str, object] = {
        "symbol": "BTC/USDT",
        "quantity": Decimal(1),
        "stop_loss": Decimal(29400),
        "take_profit": Decimal(31200),
    }
    fields.update(kwargs)

    # Act / Assert
    with pytest.raises(ValueError, match=match):
        ExitLevels(**fields)  # type: ignore[arg-type]
