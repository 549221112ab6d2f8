"""Where exchange credentials come from: a small provider interface and the env implementation.

``EnvSecretsProvider`` reads them from :class:`~imb_bot.config.Settings` (``IMB_EXCHANGE_API_KEY``
/ ``IMB_EXCHANGE_API_SECRET`` or the config file). An encrypted-file or AWS Secrets Manager/KMS
provider implements the same :class:`SecretsProvider` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from imb_bot.config.settings import Settings

__all__ = [
    "EnvSecretsProvider",
    "ExchangeCredentials",
    "SecretsError",
    "SecretsProvider",
    "StaticSecretsProvider",
]

_MASK = "***"


class SecretsError(Exception):
    """Credentials are configured inconsistently (e.g. a key without a secret): fix the config.

    The message names the fields involved, never their values.
    """


@dataclass(frozen=True, slots=True)
class ExchangeCredentials:
    """An exchange API key and secret. ``repr``/``str`` never show the values."""

    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.api_key or not self.api_secret:
            raise SecretsError("exchange credentials need both a non-empty API key and secret")

    def __repr__(self) -> str:
        return f"ExchangeCredentials(api_key={_MASK!r}, api_secret={_MASK!r})"

    __str__ = __repr__

    def secret_values(self) -> tuple[str, str]:
        """Return the plain values to register with log redaction."""
        return (self.api_key, self.api_secret)


@runtime_checkable
class SecretsProvider(Protocol):
    """Source of secrets for the shell components."""

    def get_exchange_credentials(self) -> ExchangeCredentials | None:
        """Return the exchange credentials, or None when none are configured."""
        ...


class EnvSecretsProvider:
    """Credentials from settings (environment variables or the config file)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def __repr__(self) -> str:
        return "EnvSecretsProvider()"

    def get_exchange_credentials(self) -> ExchangeCredentials | None:
        """Return the configured key and secret; None if neither is set.

        Raises:
            SecretsError: only one of the two is set.
        """
        key = self._settings.exchange_api_key
        secret = self._settings.exchange_api_secret
        key_value = key.get_secret_value() if key is not None else ""
        secret_value = secret.get_secret_value() if secret is not None else ""
        if not key_value and not secret_value:
            return None
        if not key_value or not secret_value:
            missing = "IMB_EXCHANGE_API_KEY" if not key_value else "IMB_EXCHANGE_API_SECRET"
            present = "IMB_EXCHANGE_API_SECRET" if not key_value else "IMB_EXCHANGE_API_KEY"
            raise SecretsError(f"{present} is set but {missing} is not; set both or neither")
        return ExchangeCredentials(api_key=key_value, api_secret=secret_value)


class StaticSecretsProvider:
    """Fixed credentials (tests, or a caller that obtained them elsewhere)."""

    def __init__(self, credentials: ExchangeCredentials | None) -> None:
        self._credentials = credentials

    def __repr__(self) -> str:
        return "StaticSecretsProvider()"

    def get_exchange_credentials(self) -> ExchangeCredentials | None:
        """Return the credentials given at construction."""
        return self._credentials
