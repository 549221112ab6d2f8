"""The application-wide ``Settings`` model: every field documented, validated and typed."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Self
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from imb_bot.config.sections import EngineSettings, PaperSettings, RiskSettings, StrategySettings

ENV_PREFIX = "IMB_"

BINANCE_SPOT_TESTNET_URL = "https://testnet.binance.vision"
# Production Binance domains: this bot never talks to them (no real-money code path).
PRODUCTION_HOST_SUFFIXES = ("binance.com", "binance.us", "binance.me", "binance.info")
KLINE_INTERVALS = (
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h",
    "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M",
)  # fmt: skip


class TradingMode(StrEnum):
    """Where orders go: simulated fills (PAPER) or the Binance Spot Testnet / simulator."""

    PAPER = "PAPER"
    LIVE_TESTNET = "LIVE_TESTNET"


class LogFormat(StrEnum):
    """Log output format: JSON lines for machines, console for humans."""

    JSON = "json"
    CONSOLE = "console"


class LogLevel(StrEnum):
    """Standard logging levels."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class Settings(BaseSettings):
    """Effective configuration of one bot process.

    Sources, highest priority first: constructor arguments, ``IMB_*`` environment variables, the
    config file (YAML or TOML, from ``--config`` or ``IMB_CONFIG``), then the defaults below.
    Build it with :func:`imb_bot.config.load_settings`; never at import time.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        frozen=True,
        validate_default=True,
        case_sensitive=False,
    )

    trading_mode: TradingMode = Field(
        default=TradingMode.PAPER,
        description="PAPER (simulated fills, default) or LIVE_TESTNET (orders go to the exchange).",
    )
    database_url: str = Field(
        default="sqlite:///imb_bot.sqlite3",
        description="SQLAlchemy URL of the store, e.g. postgresql+psycopg://user@host/db; "
        "default: SQLite file imb_bot.sqlite3 in the working directory.",
        min_length=1,
    )
    exchange_url: str = Field(
        default=BINANCE_SPOT_TESTNET_URL,
        description="Base URL of a Binance-compatible REST API (without /api/v3): the Binance "
        "Spot Testnet (default) or the local simulator, e.g. http://127.0.0.1:8100.",
        pattern=r"^https?://[^\s/]+(:\d+)?/?$",
    )
    exchange_timeout_ms: int = Field(
        default=10_000,
        ge=100,
        le=120_000,
        description="Timeout of one exchange HTTP request, ms; a stalled order submission "
        "becomes 'outcome unknown' and is resolved by client id.",
    )
    exchange_recv_window_ms: int = Field(
        default=10_000, ge=1, le=60_000, description="Binance recvWindow of signed requests, ms."
    )
    exchange_client_rate_limit: bool = Field(
        default=True,
        description="ccxt's client-side request throttle; keep on against Binance (turn off only "
        "for a local simulator, which enforces Binance's limits itself).",
    )
    exchange_api_key: SecretStr | None = Field(
        default=None, description="Exchange API key (secret; never logged)."
    )
    exchange_api_secret: SecretStr | None = Field(
        default=None, description="Exchange API secret (secret; never logged)."
    )
    symbols: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["BTC/USDT"],
        description="Comma-separated unified symbols to trade, e.g. BTC/USDT,ETH/USDT.",
        min_length=1,
    )
    timeframe: str = Field(
        default="1m",
        description="Kline interval the strategy trades on; one of " + ", ".join(KLINE_INTERVALS),
    )
    api_host: str = Field(default="127.0.0.1", description="Address the REST API binds to.")
    api_port: int = Field(default=8000, ge=1, le=65535, description="TCP port of the REST API.")
    control_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for POST /bot/start|stop|halt; unset → control endpoints "
        "refuse every request.",
    )
    log_level: LogLevel = Field(default=LogLevel.INFO, description="Minimum log level.")
    log_format: LogFormat = Field(
        default=LogFormat.JSON, description="json (one JSON object per line) or console."
    )
    db_auto_migrate: bool = Field(
        default=True, description="Apply database migrations at start-up (imb-bot run/demo)."
    )
    strategy: StrategySettings = Field(
        default_factory=StrategySettings, description="Strategy (IMB_STRATEGY__<FIELD>)."
    )
    risk: RiskSettings = Field(
        default_factory=RiskSettings, description="Risk limits (IMB_RISK__<FIELD>)."
    )
    paper: PaperSettings = Field(
        default_factory=PaperSettings, description="PAPER-mode fills (IMB_PAPER__<FIELD>)."
    )
    engine: EngineSettings = Field(
        default_factory=EngineSettings, description="Trading loop (IMB_ENGINE__<FIELD>)."
    )

    @field_validator("symbols", mode="before")
    @classmethod
    def _split_symbols(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("symbols")
    @classmethod
    def _check_symbols(cls, value: list[str]) -> list[str]:
        normalised = []
        for symbol in value:
            base, sep, quote = symbol.upper().partition("/")
            if not sep or not base.isalnum() or not quote.isalnum():
                raise ValueError(f"symbol {symbol!r} is not of the form BASE/QUOTE (e.g. BTC/USDT)")
            normalised.append(f"{base}/{quote}")
        if len(set(normalised)) != len(normalised):
            raise ValueError("symbols must not repeat")
        return normalised

    @field_validator("timeframe")
    @classmethod
    def _check_timeframe(cls, value: str) -> str:
        if value not in KLINE_INTERVALS:
            raise ValueError(f"allowed values are {', '.join(KLINE_INTERVALS)}")
        return value

    @field_validator("exchange_url")
    @classmethod
    def _not_production(cls, value: str) -> str:
        host = (urlsplit(value).hostname or "").lower()
        if any(host == s or host.endswith("." + s) for s in PRODUCTION_HOST_SUFFIXES):
            raise ValueError(
                f"{host} is a production Binance host; allowed are the Spot Testnet "
                f"({BINANCE_SPOT_TESTNET_URL}) or a Binance-compatible simulator URL"
            )
        return value

    @model_validator(mode="after")
    def _keys_come_in_pairs(self) -> Self:
        key, secret = self.exchange_api_key, self.exchange_api_secret
        if (key is None) != (secret is None):
            missing = "exchange_api_secret" if secret is None else "exchange_api_key"
            raise ValueError(f"{missing} must be set together with the other exchange credential")
        return self

    @model_validator(mode="after")
    def _live_needs_keys(self) -> Self:
        if self.trading_mode is TradingMode.LIVE_TESTNET:
            for name in ("exchange_api_key", "exchange_api_secret"):
                secret = getattr(self, name)
                if secret is None or not secret.get_secret_value():
                    raise ValueError(f"{name} must be set when trading_mode is LIVE_TESTNET")
        return self

    @model_validator(mode="after")
    def _one_quote_asset(self) -> Self:
        quotes = {symbol.split("/")[1] for symbol in self.symbols}
        if len(quotes) > 1:
            raise ValueError(
                "symbols: all symbols must share one quote asset (the account currency), "
                f"got {', '.join(sorted(quotes))}"
            )
        return self

    @property
    def quote_asset(self) -> str:
        """The account currency: the quote asset shared by every symbol."""
        return self.symbols[0].split("/")[1]

    def database_password(self) -> str | None:
        """Return the password embedded in ``database_url``, if any (it is a secret too)."""
        password = urlsplit(self.database_url).password
        return unquote(password) if password else None

    def secret_values(self) -> list[str]:
        """Return the plain values of every configured secret (for log redaction)."""
        values = [p for p in (self.database_password(),) if p]
        for name in type(self).model_fields:
            field_value = getattr(self, name)
            if isinstance(field_value, SecretStr) and field_value.get_secret_value():
                values.append(field_value.get_secret_value())
        return values

    def redacted(self) -> dict[str, Any]:
        """Return the effective settings as JSON-able data with every secret shown as '***'."""
        data: dict[str, Any] = {}
        for name in type(self).model_fields:
            field_value = getattr(self, name)
            if isinstance(field_value, SecretStr):
                data[name] = "***" if field_value.get_secret_value() else None
            elif isinstance(field_value, StrEnum):
                data[name] = field_value.value
            elif name == "database_url" and self.database_password():
                parts = urlsplit(field_value)
                netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
                data[name] = parts._replace(netloc=netloc).geturl()
            elif hasattr(field_value, "model_dump"):
                data[name] = field_value.model_dump(mode="json")
            else:
                data[name] = field_value
        return data
