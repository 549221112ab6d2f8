"""ConnectorConfig validation: testnet/simulator only, sane limits."""

from __future__ import annotations

import pytest

from imb_bot.config import Settings
from imb_bot.exchange.config import ConnectorConfig


def test_config_when_defaults_targets_binance_spot_testnet() -> None:
    config = ConnectorConfig()

    assert config.base_url == "https://testnet.binance.vision"
    assert config.is_binance_testnet


@pytest.mark.parametrize(
    "url", ["https://api.binance.com", "https://api1.binance.com", "http://binance.us"]
)
def test_config_when_production_host_refuses_it(url: str) -> None:
    with pytest.raises(ValueError, match="production Binance host"):
        ConnectorConfig(base_url=url)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1", "127.0.0.1:8100", "http://127.0.0.1/api/v3"])
def test_config_when_url_malformed_raises_naming_it(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        ConnectorConfig(base_url=url)


def test_config_when_trailing_slash_strips_it() -> None:
    config = ConnectorConfig(base_url="http://127.0.0.1:8100/")

    assert config.base_url == "http://127.0.0.1:8100"
    assert not config.is_binance_testnet


@pytest.mark.parametrize(
    "kwargs", [{"request_timeout_ms": 0}, {"recv_window_ms": 60_001}, {"markets_ttl_s": 0}]
)
def test_config_when_limits_out_of_range_raises(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        ConnectorConfig(**kwargs)  # type: ignore[arg-type]


def test_config_when_from_settings_uses_exchange_url() -> None:
    settings = Settings(exchange_url="http://127.0.0.1:8100")

    assert ConnectorConfig.from_settings(settings).base_url == "http://127.0.0.1:8100"


def test_config_when_from_settings_takes_timeout_recv_window_and_throttle() -> None:
    settings = Settings(
        exchange_url="http://127.0.0.1:8100",
        exchange_timeout_ms=2500,
        exchange_recv_window_ms=5000,
        exchange_client_rate_limit=False,
    )
    config = ConnectorConfig.from_settings(settings)
    assert (config.request_timeout_ms, config.recv_window_ms) == (2500, 5000)
    assert config.enable_client_rate_limit is False
