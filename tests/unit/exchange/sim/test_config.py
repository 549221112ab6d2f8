from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from imb_bot.exchange.sim.config import SimConfig, SimSettings, describe_validation_error


def _error_line(**values: object) -> str:
    with pytest.raises(ValidationError) as info:
        SimConfig(**values)
    return describe_validation_error(info.value)


def test_config_when_nothing_given_uses_testnet_like_defaults() -> None:
    config = SimConfig()

    assert (config.host, config.port, config.speed, config.seed) == ("127.0.0.1", 8100, 1.0, 42)
    assert config.balance == {"USDT": Decimal(10000), "BTC": Decimal(1), "ETH": Decimal(10)}
    assert config.symbols == ["BTC/USDT", "ETH/USDT", "ETH/BTC"]
    assert (config.weight_per_minute, config.orders_per_10s) == (6000, 50)


def test_config_when_balances_given_as_pairs_merges_over_defaults() -> None:
    config = SimConfig(balance=["usdt=500", "BNB=2.5"])

    assert config.balance["USDT"] == Decimal(500)
    assert config.balance["BNB"] == Decimal("2.5")
    assert config.balance["BTC"] == Decimal(1)


def test_settings_when_env_set_reads_prefixed_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    csv = tmp_path / "btc.csv"
    csv.write_text("x")
    monkeypatch.setenv("IMB_SIM_SPEED", "60")
    monkeypatch.setenv("IMB_SIM_BALANCE", "USDT=1,BTC=0")
    monkeypatch.setenv("IMB_SIM_DATA", f"btc/usdt={csv}")
    monkeypatch.setenv("IMB_SIM_SYMBOLS", "BTC/USDT,SOL/USDT:150")

    config = SimSettings(seed=7).to_config()

    assert (config.speed, config.seed) == (60.0, 7)
    assert config.balance["BTC"] == 0
    assert config.data == {"BTC/USDT": csv}
    assert config.symbols == ["BTC/USDT", "SOL/USDT:150"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"port": "abc"}, "invalid --port (IMB_SIM_PORT)"),
        ({"speed": -1}, "invalid --speed (IMB_SIM_SPEED)"),
        ({"balance": ["BTC"]}, "expected ASSET=AMOUNT, got 'BTC'"),
        ({"balance": ["BTC=-1"]}, "amount of BTC must be >= 0"),
        ({"data": ["BTC/USDT=/no/such.csv"]}, "does not exist"),
        ({"api_key": "k"}, "give both --api-key and --api-secret"),
        ({"api_key": "bad key", "api_secret": "s"}, "invalid --api-key"),
    ],
)
def test_config_when_value_invalid_describes_it_in_one_line(
    values: dict[str, object], expected: str
) -> None:
    line = _error_line(**values)

    assert expected in line
    assert "\n" not in line
