"""Nested settings sections (strategy, risk, paper broker, engine) and their core configs.

Each section validates by building the core's own frozen config, so the rules live in one place
(``imb_bot.core``) and a bad value is reported as ``IMB_<SECTION>__<FIELD>``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from imb_bot.core.execution import ExecutionConfig
from imb_bot.core.models import OrderType, SizeType
from imb_bot.core.paper import PaperFillConfig
from imb_bot.core.risk import RiskConfig
from imb_bot.core.strategy import RsiEmaConfig

_SECTION = ConfigDict(extra="forbid", frozen=True)


class StrategySettings(BaseModel):
    """The ``rsi_ema`` strategy (one instance per symbol)."""

    model_config = _SECTION

    name: Literal["rsi_ema"] = Field(default="rsi_ema", description="Strategy: rsi_ema.")
    rsi_period: int = Field(default=14, description="RSI length in candles (>= 2).")
    rsi_oversold: float = Field(default=30.0, description="Buy while RSI is below this (0-100).")
    rsi_overbought: float = Field(default=70.0, description="Sell while RSI is above this.")
    ema_fast_period: int = Field(default=12, description="Fast EMA length in candles.")
    ema_slow_period: int = Field(default=26, description="Slow EMA length (> fast).")
    trend_filter: bool = Field(default=False, description="Buy only while EMA fast > EMA slow.")
    stop_loss_pct: Decimal | None = Field(
        default=Decimal(2), description="Stop-loss below the entry, in %; null: off."
    )
    take_profit_pct: Decimal | None = Field(
        default=Decimal(4), description="Take-profit above the entry, in %; null: off."
    )
    size_type: SizeType = Field(
        default=SizeType.FIXED_QUOTE,
        description="fixed_quote (spend size_value quote), fixed_base (buy size_value base) or "
        "percent_equity (size_value % of equity).",
    )
    size_value: Decimal = Field(default=Decimal(100), description="Order size, per size_type.")

    def to_core(self, symbol: str) -> RsiEmaConfig:
        """Return the strategy config for ``symbol``."""
        return RsiEmaConfig(
            symbol=symbol,
            strategy_id=self.name,
            rsi_period=self.rsi_period,
            rsi_oversold=self.rsi_oversold,
            rsi_overbought=self.rsi_overbought,
            ema_fast_period=self.ema_fast_period,
            ema_slow_period=self.ema_slow_period,
            trend_filter=self.trend_filter,
            stop_loss_pct=self.stop_loss_pct,
            take_profit_pct=self.take_profit_pct,
            size_type=self.size_type,
            size_value=self.size_value,
        )

    @model_validator(mode="after")
    def _validate_in_core(self) -> Self:
        self.to_core("CHECK/ONLY")
        return self


class RiskSettings(BaseModel):
    """Pre-trade risk limits; a limit set to null is off."""

    model_config = _SECTION

    max_trades_per_day: int | None = Field(default=50, description="Orders per UTC day.")
    max_open_positions: int | None = Field(default=3, description="Symbols held at once.")
    max_daily_loss_quote: Decimal | None = Field(
        default=Decimal(100),
        description="Realized today + unrealized loss (quote) that halts trading by itself.",
    )
    max_position_notional_quote: Decimal | None = Field(
        default=Decimal(1000), description="Largest position value (quote) after a buy."
    )
    max_order_notional_quote: Decimal | None = Field(
        default=Decimal(500), description="Largest value (quote) of one entry order."
    )
    min_trade_interval_s: float = Field(
        default=60.0, description="Seconds of market time between entries on one symbol."
    )
    max_orders_per_window: int | None = Field(
        default=10, description="Orders of any kind per order_rate_window_s."
    )
    order_rate_window_s: float = Field(default=10.0, description="Order-rate window, seconds.")

    def to_core(self, quote_asset: str) -> RiskConfig:
        """Return the risk config for an account in ``quote_asset``."""
        return RiskConfig(
            quote_asset=quote_asset,
            max_trades_per_day=self.max_trades_per_day,
            max_open_positions=self.max_open_positions,
            max_daily_loss_quote=self.max_daily_loss_quote,
            max_position_notional_quote=self.max_position_notional_quote,
            max_order_notional_quote=self.max_order_notional_quote,
            min_trade_interval_s=self.min_trade_interval_s,
            max_orders_per_window=self.max_orders_per_window,
            order_rate_window_s=self.order_rate_window_s,
        )

    @model_validator(mode="after")
    def _validate_in_core(self) -> Self:
        self.to_core("USDT")
        return self


class PaperSettings(BaseModel):
    """Simulated execution in PAPER mode."""

    model_config = _SECTION

    slippage_bps: Decimal = Field(
        default=Decimal(5), description="Market fills this much worse than bid/ask, in bps."
    )
    fee_bps: Decimal = Field(default=Decimal(10), description="Fee per fill in bps (Binance: 10).")
    initial_balances: dict[str, Decimal] = Field(
        default_factory=lambda: {"USDT": Decimal(10_000)},
        description="Starting cash of a new paper account, asset → amount (quote asset only "
        "is typical); later runs continue from the stored balances.",
    )

    @field_validator("initial_balances", mode="after")
    @classmethod
    def _asset_codes_upper(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        # IMB_PAPER__INITIAL_BALANCES__USDT arrives lower-cased from the environment.
        return {asset.upper(): amount for asset, amount in value.items()}

    def to_core(self) -> PaperFillConfig:
        """Return the paper fill model config."""
        return PaperFillConfig(slippage_bps=self.slippage_bps, fee_bps=self.fee_bps)

    @model_validator(mode="after")
    def _validate_in_core(self) -> Self:
        self.to_core()
        for asset, amount in self.initial_balances.items():
            if amount < 0:
                raise ValueError(f"initial_balances[{asset}] must be >= 0, got {amount}")
        return self


class EngineSettings(BaseModel):
    """The trading loop."""

    model_config = _SECTION

    autostart: bool = Field(default=True, description="Start trading when `imb-bot run` starts.")
    poll_interval_s: float = Field(
        default=1.0, gt=0, le=60, description="Seconds between polls for new closed candles."
    )
    order_type: OrderType = Field(
        default=OrderType.MARKET, description="Type of the orders built from signals."
    )
    warmup_extra_candles: int = Field(
        default=100, ge=0, le=900, description="History fetched beyond the strategy's warm-up."
    )
    unknown_order_checks: int = Field(
        default=6, ge=1, le=50, description="Look-ups of an order whose submission is unknown."
    )
    unknown_order_check_delay_s: float = Field(
        default=0.5, gt=0, le=30, description="First delay between those look-ups (doubles)."
    )
    error_backoff_max_s: float = Field(
        default=30.0, gt=0, description="Longest pause after repeated loop errors, seconds."
    )

    def execution_config(self) -> ExecutionConfig:
        """Return the execution config."""
        return ExecutionConfig(order_type=self.order_type)
