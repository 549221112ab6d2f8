"""Order and trade history: ``GET /history/orders`` and ``GET /history/trades``.

Filters combine with AND; ``since`` is inclusive and ``until`` exclusive; both need a timezone
(``Z`` or an offset; naive times are rejected with 422, since the API speaks UTC). Pages are
newest first and keyset-paginated: pass ``next_cursor`` back as ``cursor`` with the same filters.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, AwareDatetime
from starlette.concurrency import run_in_threadpool

from imb_bot.api.deps import StoreDep
from imb_bot.api.schemas.history import OrderPage, TradePage
from imb_bot.config import TradingMode
from imb_bot.core.models import OrderStatus, Side
from imb_bot.db.history import MAX_PAGE_SIZE, HistoryFilter, InvalidCursorError, decode_cursor

__all__ = ["router", "store_unavailable_handler"]

router = APIRouter(prefix="/history", tags=["history"])


def _check_cursor(value: str | None) -> str | None:
    if value is not None:
        try:
            decode_cursor(value)
        except InvalidCursorError:
            raise ValueError("invalid cursor") from None
    return value


def _upper(value: str | None) -> str | None:
    return value.upper() if value is not None else None


SymbolQuery = Annotated[
    str | None,
    Query(description="Unified symbol, e.g. BTC/USDT.", pattern=r"^[A-Za-z0-9]+/[A-Za-z0-9]+$"),
    AfterValidator(_upper),
]
ModeQuery = Annotated[TradingMode | None, Query(description="PAPER or LIVE_TESTNET.")]
SideQuery = Annotated[Side | None, Query(description="BUY or SELL.")]
SinceQuery = Annotated[
    AwareDatetime | None,
    Query(description="Inclusive lower bound, ISO-8601 with timezone, e.g. 2024-05-01T00:00:00Z."),
]
UntilQuery = Annotated[
    AwareDatetime | None,
    Query(description="Exclusive upper bound, ISO-8601 with timezone, e.g. 2024-06-01T00:00:00Z."),
]
StatusQuery = Annotated[OrderStatus | None, Query(description="Order status.")]
LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Page size, 1..{MAX_PAGE_SIZE}.")
]
CursorQuery = Annotated[
    str | None,
    Query(description="`next_cursor` of the previous page; omit for the first (newest) page."),
    AfterValidator(_check_cursor),
]


async def history_filter(
    symbol: SymbolQuery = None,
    mode: ModeQuery = None,
    side: SideQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
) -> HistoryFilter:
    """Collect the common filters; 422 naming ``until`` when it is not after ``since``."""
    if since is not None and until is not None and until <= since:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("query", "until"),
                    "msg": "until must be later than since",
                    "input": until.isoformat(),
                }
            ]
        )
    return HistoryFilter(symbol=symbol, mode=mode, side=side, since=since, until=until)


async def order_filter(
    filters: Annotated[HistoryFilter, Depends(history_filter)], status: StatusQuery = None
) -> HistoryFilter:
    """Add the order-only ``status`` filter."""
    return replace(filters, status=status)


TradeFilterDep = Annotated[HistoryFilter, Depends(history_filter)]
OrderFilterDep = Annotated[HistoryFilter, Depends(order_filter)]


# Handlers and dependencies are async and hop to a worker thread once, for the database read
# (sync dependencies would each cost a thread hop).


@router.get("/orders", response_model=OrderPage, operation_id="listOrders")
async def list_orders(
    store: StoreDep, filters: OrderFilterDep, limit: LimitQuery = 100, cursor: CursorQuery = None
) -> OrderPage:
    """List orders newest first (by creation time), filtered and keyset-paginated."""
    page = await run_in_threadpool(store.history.list_orders, filters, limit=limit, cursor=cursor)
    return OrderPage.from_page(page)


@router.get("/trades", response_model=TradePage, operation_id="listTrades")
async def list_trades(
    store: StoreDep, filters: TradeFilterDep, limit: LimitQuery = 100, cursor: CursorQuery = None
) -> TradePage:
    """List trades newest first (by execution time), filtered and keyset-paginated."""
    page = await run_in_threadpool(store.history.list_trades, filters, limit=limit, cursor=cursor)
    return TradePage.from_page(page)


async def store_unavailable_handler(request: Request, exc: Exception) -> JSONResponse:
    """Answer 503 when the database cannot serve a read (install on the app)."""
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": f"the store is unavailable: {exc}"},
        headers={"Retry-After": "5"},
    )
