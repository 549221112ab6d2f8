"""Building the ccxt client for testnet/simulator, and scrubbing its logs and texts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from imb_bot.exchange.ccxt_adapter import Scrubber, build_ccxt_client
from imb_bot.exchange.config import ConnectorConfig
from imb_bot.secrets import ExchangeCredentials

KEY = "adapter-key-CCCC3333"
SECRET = "adapter-secret-DDDD4444"


@pytest.fixture
def make_client() -> Iterator[Any]:
    built: list[Any] = []

    def make(url: str, credentials: ExchangeCredentials | None = None) -> Any:
        client = build_ccxt_client(
            ConnectorConfig(base_url=url), credentials, Scrubber([KEY, SECRET])
        )
        built.append(client)
        return client

    yield make
    for client in built:
        client.session = None  # never opened


def test_build_when_simulator_url_points_spot_urls_at_it(make_client: Any) -> None:
    client = make_client("http://127.0.0.1:8100")

    assert client.urls["api"]["public"] == "http://127.0.0.1:8100/api/v3"
    assert client.urls["api"]["private"] == "http://127.0.0.1:8100/api/v3"
    assert client.urls["api"]["v1"] == "http://127.0.0.1:8100/api/v1"
    assert client.options["fetchMarkets"]["types"] == ["spot"]
    assert client.options["fetchCurrencies"] is False
    assert client.timeout_on_exit == 0


def test_build_when_default_url_uses_ccxt_sandbox_testnet(make_client: Any) -> None:
    client = make_client("https://testnet.binance.vision")

    assert client.urls["api"]["public"] == "https://testnet.binance.vision/api/v3"
    assert "apiBackup" in client.urls  # sandbox mode on


def test_build_when_credentials_given_sets_them_on_client(make_client: Any) -> None:
    client = make_client("http://127.0.0.1:8100", ExchangeCredentials(KEY, SECRET))

    assert (client.apiKey, client.secret) == (KEY, SECRET)


def test_scrubber_when_text_has_secrets_query_and_key_header_masks_them() -> None:
    scrub = Scrubber([KEY, SECRET])
    text = (
        f"GET http://h/api/v3/account?timestamp=1&signature=abc123 "
        f"{{'X-MBX-APIKEY': '{KEY}'}} {SECRET} body=a&signature=ff00"
    )

    cleaned = scrub(text)

    assert KEY not in cleaned
    assert SECRET not in cleaned
    assert "abc123" not in cleaned
    assert "ff00" not in cleaned
    assert "http://h/api/v3/account" in cleaned


def test_ccxt_logger_when_debug_logs_request_headers_key_is_scrubbed(
    make_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client("http://127.0.0.1:8100", ExchangeCredentials(KEY, SECRET))
    headers = {"X-MBX-APIKEY": KEY}

    with caplog.at_level(logging.DEBUG):
        client.logger.debug("%s %s, Request: %s %s", "GET", "http://h/x?a=1", headers, None)

    assert len(caplog.records) == 1
    assert KEY not in caplog.records[0].getMessage()
    assert "Request" in caplog.records[0].getMessage()
