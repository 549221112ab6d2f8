"""Secrets providers: env via Settings, static; values never shown."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from imb_bot.config import Settings
from imb_bot.monitoring.logging import SecretRedactingFilter
from imb_bot.secrets import (
    EnvSecretsProvider,
    ExchangeCredentials,
    SecretsError,
    SecretsProvider,
    StaticSecretsProvider,
    register_with_log_redaction,
)

KEY = "prov-key-EEEE5555"
SECRET = "prov-secret-FFFF6666"


def test_env_provider_when_key_and_secret_set_returns_credentials() -> None:
    settings = Settings(exchange_api_key=SecretStr(KEY), exchange_api_secret=SecretStr(SECRET))

    credentials = EnvSecretsProvider(settings).get_exchange_credentials()

    assert credentials == ExchangeCredentials(KEY, SECRET)


def test_env_provider_when_nothing_set_returns_none() -> None:
    assert EnvSecretsProvider(Settings()).get_exchange_credentials() is None


def test_env_provider_when_only_key_set_raises_naming_missing_variable() -> None:
    # Settings validation already refuses a key without a secret; the provider checks again
    # for settings built without validation (model_construct) or by other means.
    settings = Settings.model_construct(exchange_api_key=SecretStr(KEY), exchange_api_secret=None)

    with pytest.raises(SecretsError, match="IMB_EXCHANGE_API_SECRET is not") as info:
        EnvSecretsProvider(settings).get_exchange_credentials()

    assert KEY not in str(info.value)


def test_credentials_when_printed_never_show_values() -> None:
    credentials = ExchangeCredentials(KEY, SECRET)

    for text in (repr(credentials), str(credentials), f"{credentials}"):
        assert KEY not in text
        assert SECRET not in text


def test_credentials_when_empty_value_raises() -> None:
    with pytest.raises(SecretsError):
        ExchangeCredentials("", SECRET)


def test_providers_when_checked_satisfy_protocol() -> None:
    assert isinstance(EnvSecretsProvider(Settings()), SecretsProvider)
    assert isinstance(StaticSecretsProvider(None), SecretsProvider)


def test_register_when_root_handler_has_redaction_filter_adds_secrets() -> None:
    handler = logging.NullHandler()
    redactor = SecretRedactingFilter([])
    handler.addFilter(redactor)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        updated = register_with_log_redaction([KEY, SECRET])
    finally:
        root.removeHandler(handler)
    record = logging.makeLogRecord({"msg": f"key={KEY} secret={SECRET}"})

    redactor.filter(record)

    assert updated == 1
    assert KEY not in record.getMessage()
    assert SECRET not in record.getMessage()
