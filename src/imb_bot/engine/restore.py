"""Rebuild the account at start-up: portfolio, today's risk counters, protective exit levels.

Everything comes from the store (and, live, the exchange's quote balance), so a restart continues
where the previous run stopped, including the daily-loss limit and the trades-per-day count.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from imb_bot.config.sections import StrategySettings
from imb_bot.config.settings import Settings, TradingMode
from imb_bot.core.exits import ExitLevels
from imb_bot.core.models import Balance, Fill, MarketRules
from imb_bot.core.portfolio import Portfolio, Position
from imb_bot.db.async_store import AsyncStore
from imb_bot.db.history import HistoryFilter
from imb_bot.db.records import Page, TradeRecord
from imb_bot.engine.account import Account
from imb_bot.exchange.connector import ExchangeConnector
from imb_bot.monitoring.logging import log_event

log = logging.getLogger(__name__)
T = TypeVar("T")


async def restore_portfolio(
    *,
    settings: Settings,
    store: AsyncStore | None,
    connector: ExchangeConnector,
    rules: Mapping[str, MarketRules],
) -> Portfolio:
    """Positions from the store; cash from the exchange (live) or the stored paper balances."""
    mode, quote = settings.trading_mode, settings.quote_asset
    positions: list[Position] = []
    if store is not None:
        positions = [r.to_position() for r in await store.load_positions(mode) if r.symbol in rules]
    bases = {r.base_asset for r in rules.values()}
    if mode is TradingMode.LIVE_TESTNET:
        free = (await connector.get_balances()).get(quote)
        cash = {quote: free.free if free is not None else Decimal(0)}
    else:
        stored = await store.load_paper_balances() if store is not None else {}
        if stored:
            cash = {asset: b.free for asset, b in stored.items() if asset not in bases}
        else:
            cash = dict(settings.paper.initial_balances)
            if store is not None:
                await store.save_paper_balances(
                    [Balance(a, v, Decimal(0)) for a, v in cash.items()]
                )
    return Portfolio(quote_asset=quote, markets=rules.values(), cash=cash, positions=positions)


async def seed_today(
    account: Account,
    *,
    mode: TradingMode,
    store: AsyncStore,
    rules: Mapping[str, MarketRules],
    now: datetime,
) -> None:
    """Rebuild the net realized PnL at 00:00 UTC and today's order count from the store.

    The stored trades are replayed through the same accounting as live; history that does not
    replay (e.g. edited by hand) falls back to counting from now, and says so.
    """
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    queries = store.sync.history
    before = await asyncio.to_thread(
        _all_pages, queries.list_trades, HistoryFilter(mode=mode, until=day_start)
    )
    orders_today = await asyncio.to_thread(
        _all_pages, queries.list_orders, HistoryFilter(mode=mode, since=day_start)
    )
    portfolio = account.portfolio
    replay = Portfolio(quote_asset=portfolio.quote_asset, markets=rules.values())
    try:
        for trade in reversed(before):  # pages are newest first
            if trade.symbol in rules:
                replay.apply(_fill_of(trade))
        baseline = replay.realized_pnl_quote - replay.fees_quote
    except ValueError as exc:
        baseline = portfolio.realized_pnl_quote - portfolio.fees_quote
        log_event(log, logging.WARNING, "daily_pnl_baseline_fallback", error=str(exc))
    account.seed_today(now.date(), baseline, len(orders_today))


def restore_exit_levels(account: Account, strategy: StrategySettings) -> None:
    """Protective levels are not stored: rebuild them from the average entry and the config."""
    for symbol, position in account.portfolio.open_positions.items():
        entry = position.average_entry_price
        if entry is None:
            continue
        stop = entry * (1 - strategy.stop_loss_pct / 100) if strategy.stop_loss_pct else None
        target = entry * (1 + strategy.take_profit_pct / 100) if strategy.take_profit_pct else None
        if stop is not None or target is not None:
            account.exit_levels[symbol] = ExitLevels(
                symbol=symbol,
                quantity=position.quantity,
                stop_loss=stop,
                take_profit=target,
                strategy_id=strategy.name,
            )


def _all_pages(list_page: Callable[..., Page[T]], filters: HistoryFilter) -> list[T]:
    items: list[T] = []
    cursor: str | None = None
    while True:
        page = list_page(filters, limit=500, cursor=cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor


def _fill_of(trade: TradeRecord) -> Fill:
    return Fill(
        trade_id=trade.trade_id,
        client_order_id=trade.client_order_id,
        symbol=trade.symbol,
        side=trade.side,
        price=trade.price,
        quantity=trade.quantity,
        fee=trade.fee,
        fee_asset=trade.fee_asset,
        executed_at=trade.executed_at,
        exchange_order_id=trade.exchange_order_id,
        quote_quantity=trade.quote_quantity,
        is_maker=trade.is_maker,
    )
