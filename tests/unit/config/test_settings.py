from decimal import Decimal
from pathlib import Path

import pytest

from imb_bot.config import ConfigError, Settings, TradingMode, load_settings


def test_load_settings_when_nothing_set_uses_safe_defaults() -> None:
    settings = load_settings(environ={})
    assert settings.trading_mode is TradingMode.PAPER
    assert settings.symbols == ["BTC/USDT"]
    assert settings.api_host == "127.0.0.1"
    assert settings.api_port == 8000
    assert settings.control_token is None


def test_load_settings_when_env_and_file_set_env_wins(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.yaml"
    cfg.write_text("trading_mode: LIVE_TESTNET\napi_port: 9000\nsymbols: [ETH/USDT]\n")
    settings = load_settings(
        cfg,
        environ={
            "IMB_API_PORT": "9100",
            "IMB_EXCHANGE_API_KEY": "key",
            "IMB_EXCHANGE_API_SECRET": "secret",
        },
    )
    assert settings.trading_mode is TradingMode.LIVE_TESTNET
    assert settings.api_port == 9100
    assert settings.symbols == ["ETH/USDT"]


def test_load_settings_when_toml_file_given_reads_it(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.toml"
    cfg.write_text('timeframe = "5m"\nsymbols = "btc/usdt, eth/usdt"\n')
    settings = load_settings(cfg, environ={})
    assert settings.timeframe == "5m"
    assert settings.symbols == ["BTC/USDT", "ETH/USDT"]


def test_load_settings_when_imb_config_env_set_reads_that_file(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.yaml"
    cfg.write_text("api_port: 8123\n")
    assert load_settings(environ={"IMB_CONFIG": str(cfg)}).api_port == 8123


def test_load_settings_when_mode_invalid_names_variable_value_and_allowed() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"IMB_TRADING_MODE": "banana"})
    (line,) = info.value.lines
    assert "IMB_TRADING_MODE" in line
    assert "'banana'" in line
    assert "PAPER" in line and "LIVE_TESTNET" in line


def test_load_settings_when_secret_invalid_does_not_echo_it(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.yaml"
    cfg.write_text("exchange_api_secret: [not, a, string-SECRET123]\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, environ={})
    assert "SECRET123" not in str(info.value)
    assert "IMB_EXCHANGE_API_SECRET" in str(info.value)


def test_load_settings_when_unknown_key_in_file_rejects_it(tmp_path: Path) -> None:
    cfg = tmp_path / "bot.yaml"
    cfg.write_text("tradng_mode: PAPER\n")
    with pytest.raises(ConfigError, match="unknown setting 'tradng_mode'"):
        load_settings(cfg, environ={})


def test_load_settings_when_file_missing_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path / "nope.yaml", environ={})


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("IMB_TIMEFRAME", "7m"),
        ("IMB_API_PORT", "70000"),
        ("IMB_SYMBOLS", "BTCUSDT"),
        ("IMB_EXCHANGE_URL", "ftp://x"),
    ],
)
def test_load_settings_when_value_invalid_raises_config_error(variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(environ={variable: value})


def test_redacted_when_secrets_set_hides_them() -> None:
    settings = load_settings(
        environ={"IMB_EXCHANGE_API_KEY": "k-123", "IMB_EXCHANGE_API_SECRET": "s-456"}
    )
    shown = settings.redacted()
    assert shown["exchange_api_key"] == "***"
    assert "s-456" not in str(shown)
    assert sorted(settings.secret_values()) == ["k-123", "s-456"]


def test_every_setting_is_documented() -> None:
    for name, info in Settings.model_fields.items():
        assert info.description, f"{name} has no description"


def test_load_settings_when_nested_env_set_overrides_section_field() -> None:
    settings = load_settings(
        environ={"IMB_STRATEGY__RSI_PERIOD": "7", "IMB_RISK__MAX_OPEN_POSITIONS": "1"}
    )
    assert settings.strategy.rsi_period == 7
    assert settings.risk.max_open_positions == 1
    assert settings.strategy.to_core("BTC/USDT").rsi_period == 7


def test_load_settings_when_cross_field_rule_broken_names_the_nested_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"IMB_STRATEGY__RSI_OVERSOLD": "80"})
    (line,) = info.value.lines
    assert line.startswith("config error: IMB_STRATEGY__RSI_OVERBOUGHT is invalid")


def test_load_settings_when_symbols_mix_quote_assets_rejects_them() -> None:
    with pytest.raises(ConfigError, match=r"IMB_SYMBOLS=.*one quote asset"):
        load_settings(environ={"IMB_SYMBOLS": "BTC/USDT,ETH/BTC"})


def test_redacted_when_database_url_has_password_hides_it() -> None:
    settings = load_settings(
        environ={"IMB_DATABASE_URL": "postgresql+psycopg://bot:pa%40ss@db:5432/imb"}
    )
    assert settings.redacted()["database_url"] == "postgresql+psycopg://bot:***@db:5432/imb"
    assert "pa@ss" in settings.secret_values()


def test_load_settings_when_live_without_keys_names_the_missing_variable() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"IMB_TRADING_MODE": "LIVE_TESTNET"})
    assert info.value.lines == [
        "config error: IMB_EXCHANGE_API_KEY is invalid: must be set when trading_mode is "
        "LIVE_TESTNET"
    ]


@pytest.mark.parametrize(
    "url", ["https://api.binance.com", "https://api1.binance.com", "https://api.binance.us"]
)
def test_load_settings_when_exchange_url_is_production_refuses_it(url: str) -> None:
    with pytest.raises(ConfigError, match="production Binance host"):
        load_settings(environ={"IMB_EXCHANGE_URL": url})


@pytest.mark.parametrize(
    "url", ["https://testnet.binance.vision", "http://127.0.0.1:8100", "http://sim:8100"]
)
def test_load_settings_when_exchange_url_is_testnet_or_simulator_accepts_it(url: str) -> None:
    assert load_settings(environ={"IMB_EXCHANGE_URL": url}).exchange_url == url


def test_load_settings_when_only_the_key_is_set_names_the_missing_secret() -> None:
    with pytest.raises(ConfigError, match="IMB_EXCHANGE_API_SECRET is invalid"):
        load_settings(environ={"IMB_EXCHANGE_API_KEY": "key-only"})


def test_load_settings_when_paper_balance_set_per_asset_keeps_asset_code_upper() -> None:
    settings = load_settings(environ={"IMB_PAPER__INITIAL_BALANCES__USDT": "5000"})
    assert settings.paper.initial_balances == {"USDT": Decimal(5000)}
