"""Typed answers of the connector: order results, the health report and request counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from imb_bot.core.models import Fill, Order
from imb_bot.exchange.errors import OrderOutcomeUnknownError

__all__ = [
    "ConnectorStats",
    "HealthDetails",
    "HealthReport",
    "OrderUpdate",
    "OutcomeUnknown",
    "PlaceOrderResult",
]


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """An order as the exchange reports it, with the fills known for it."""

    order: Order
    fills: tuple[Fill, ...] = ()


@dataclass(frozen=True, slots=True)
class OutcomeUnknown:
    """A submission whose outcome is unknown; ``order.status`` is UNKNOWN.

    Resolve it with ``fetch_order(order.symbol, client_order_id=order.client_order_id)``.
    """

    order: Order
    error: OrderOutcomeUnknownError


PlaceOrderResult = OrderUpdate | OutcomeUnknown


class HealthDetails(TypedDict):
    """Measurements of one exchange health check."""

    latency_ms: float | None
    server_time_offset_ms: int | None
    error: str | None


class HealthReport(TypedDict):
    """Answer of ``ExchangeConnector.health_check``."""

    status: Literal["ok", "error"]
    details: HealthDetails


@dataclass
class ConnectorStats:
    """Counters since start: HTTP attempts and retries per operation, errors per class."""

    requests: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    clock_resyncs: int = 0
