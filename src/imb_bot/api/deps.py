"""Collaborators the API handlers use, held on ``app.state.services`` and injected per request.

Each shell component (exchange connector, store, bot controller) adds one optional field here and
one ``Annotated`` dependency alias; handlers stay 1-3 lines calling those services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from imb_bot.config import Settings
from imb_bot.db.store import Store
from imb_bot.engine.controller import BotController
from imb_bot.exchange.connector import ExchangeConnector


@dataclass
class Services:
    """Everything the API needs, built once at start-up (never at import time)."""

    settings: Settings
    controller: BotController | None = None
    store: Store | None = None  # reads for /history and /positions; None → those answer 503
    connector: ExchangeConnector | None = None  # /market-data, /health/exchange; None → 503


async def get_services(request: Request) -> Services:
    """Return the services attached to the running app."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_store(services: ServicesDep) -> Store:
    """Return the store, or answer 503 when this process has none configured."""
    if services.store is None:
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="no store is configured in this process (history and positions need one)",
        )
    return services.store


StoreDep = Annotated[Store, Depends(get_store)]


async def get_connector(services: ServicesDep) -> ExchangeConnector:
    """Return the exchange connector, or answer 503 when this process has none configured."""
    if services.connector is None:
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="no exchange connector is configured in this process",
        )
    return services.connector


ConnectorDep = Annotated[ExchangeConnector, Depends(get_connector)]
