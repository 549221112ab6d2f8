"""Simulator configuration: a frozen, validated ``SimConfig`` and its ``IMB_SIM_*`` env twin.

``SimConfig`` is what the server runs on (tests build it directly, without the environment);
``SimSettings`` adds the environment as a source for ``imb-bot sim``. List options accept either
a list or one comma-separated string, e.g. ``IMB_SIM_BALANCE="USDT=10000,BTC=1"``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from imb_bot.exchange.sim.markets import DEFAULT_SYMBOLS

__all__ = [
    "DEFAULT_BALANCES",
    "ENV_PREFIX",
    "SimConfig",
    "SimSettings",
    "describe_validation_error",
]

ENV_PREFIX = "IMB_SIM_"
DEFAULT_BALANCES = {"USDT": Decimal(10000), "BTC": Decimal(1), "ETH": Decimal(10)}
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_ASSET_PATTERN = re.compile(r"^[A-Z0-9]{1,20}$")


def _split(value: Any) -> Any:
    # "a,b" -> ["a", "b"]; lists pass through
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _pairs(value: Any, what: str) -> Any:
    # ["K=V", ...] (or "K=V,K2=V2") -> {"K": "V", ...}; dicts pass through
    value = _split(value)
    if isinstance(value, list | tuple):
        out: dict[str, str] = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            if not sep or not key.strip() or not val.strip():
                raise ValueError(f"expected {what}, got {item!r}")
            out[key.strip()] = val.strip()
        return out
    return value


class SimConfig(BaseModel):
    """Everything one simulator instance needs; unknown keys are rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address to bind.", min_length=1)
    port: int = Field(default=8100, ge=0, le=65535, description="TCP port (0 = any free port).")
    data: Annotated[dict[str, Path], NoDecode] = Field(
        default_factory=dict,
        description="SYMBOL=CSV pairs: replay these candles (timestamp_ms,open,high,low,close,"
        "volume, one per minute) instead of synthetic ones for SYMBOL (e.g. BTC/USDT).",
    )
    speed: float = Field(
        default=1.0, ge=0, le=100_000, description="Market clock speed × real time; 0 freezes it."
    )
    seed: int = Field(default=42, description="Seed of the synthetic prices and random faults.")
    api_key: str | None = Field(default=None, description="API key of the account.")
    api_secret: str | None = Field(default=None, description="API secret of the account.")
    balance: Annotated[dict[str, Decimal], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_BALANCES),
        description="ASSET=AMOUNT start balances; merged over USDT=10000, BTC=1, ETH=10.",
    )
    state: Path | None = Field(
        default=None, description="State file: loaded at start, saved atomically on every change."
    )
    symbols: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_SYMBOLS),
        description="Markets as BASE/QUOTE (built in: BTC/USDT, ETH/USDT, ETH/BTC) or "
        "BASE/QUOTE:START_PRICE for others.",
        min_length=1,
    )
    history_minutes: int = Field(
        default=4320, ge=1, le=1_051_200, description="1m candles of history before start."
    )
    weight_per_minute: int = Field(default=6000, ge=1, description="REQUEST_WEIGHT per minute.")
    orders_per_10s: int = Field(default=50, ge=1, description="ORDERS limit per 10 seconds.")
    orders_per_day: int = Field(default=160_000, ge=1, description="ORDERS limit per day.")
    ban_after_violations: int = Field(
        default=5, ge=1, description="429 answers within one minute before the IP gets a 418 ban."
    )
    ban_seconds: int = Field(default=120, ge=1, description="Length of a 418 IP ban, seconds.")
    commission_rate: Decimal = Field(
        default=Decimal("0.001"), ge=0, le=Decimal("0.1"), description="Maker and taker fee."
    )
    spread_bps: Decimal | None = Field(
        default=None, gt=0, le=1000, description="Book spread in basis points (default 2)."
    )
    book_levels: int | None = Field(
        default=None, ge=1, le=5000, description="Book levels per side (default 100)."
    )

    @field_validator("data", mode="before")
    @classmethod
    def _parse_data(cls, value: Any) -> Any:
        pairs = _pairs(value, "SYMBOL=CSV")
        if isinstance(pairs, dict):
            return {str(k).upper(): v for k, v in pairs.items()}
        return pairs

    @field_validator("data")
    @classmethod
    def _check_data(cls, value: dict[str, Path]) -> dict[str, Path]:
        for symbol, path in value.items():
            if "/" not in symbol:
                raise ValueError(f"symbol {symbol!r} must be BASE/QUOTE, e.g. BTC/USDT")
            if not path.is_file():
                raise ValueError(f"CSV file {str(path)!r} for {symbol} does not exist")
        return value

    @field_validator("balance", mode="before")
    @classmethod
    def _parse_balance(cls, value: Any) -> Any:
        pairs = _pairs(value, "ASSET=AMOUNT")
        if not isinstance(pairs, dict):
            return pairs
        merged: dict[str, Any] = dict(DEFAULT_BALANCES)
        for asset, amount in pairs.items():
            name = str(asset).upper()
            if not _ASSET_PATTERN.match(name):
                raise ValueError(f"asset {asset!r} must be letters/digits, e.g. USDT")
            try:
                parsed = Decimal(str(amount))
            except InvalidOperation:
                raise ValueError(f"amount of {name} must be a number, got {amount!r}") from None
            if not parsed.is_finite() or parsed < 0:
                raise ValueError(f"amount of {name} must be >= 0, got {amount!r}")
            merged[name] = parsed
        return merged

    @field_validator("symbols", mode="before")
    @classmethod
    def _parse_symbols(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("api_key", "api_secret")
    @classmethod
    def _check_key(cls, value: str | None) -> str | None:
        if value is not None and not _KEY_PATTERN.match(value):
            raise ValueError("must be 1-128 characters of A-Z, a-z, 0-9, '-' or '_'")
        return value

    @model_validator(mode="after")
    def _check_pairs(self) -> SimConfig:
        if (self.api_key is None) != (self.api_secret is None):
            raise ValueError("give both --api-key and --api-secret, or neither")
        return self


class SimSettings(SimConfig, BaseSettings):
    """``SimConfig`` read from constructor arguments first, then ``IMB_SIM_*`` variables."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="forbid", case_sensitive=False
    )

    def to_config(self) -> SimConfig:
        """Return the plain (environment-free) config."""
        return SimConfig(**self.model_dump())


def describe_validation_error(exc: ValidationError) -> str:
    """Return one line naming the first bad option, its env variable and what is wrong."""
    first = exc.errors()[0]
    loc = [str(part) for part in first.get("loc", ()) if isinstance(part, str)]
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if not loc:
        return message
    name = loc[0]
    option = "--" + name.replace("_", "-")
    return f"invalid {option} ({ENV_PREFIX}{name.upper()}): {message}"
