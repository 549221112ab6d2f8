"""Start-up restore: today's realized PnL and order count survive a restart (daily-loss limit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from imb_bot.config import TradingMode
from imb_bot.core.models import Fill, Order, OrderStatus, OrderType, Side
from imb_bot.core.portfolio import Portfolio
from imb_bot.core.testing import btc_rules
from imb_bot.db.async_store import AsyncStore
from imb_bot.db.store import Store
from imb_bot.engine.account import Account
from imb_bot.engine.restore import seed_today

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
RULES = {"BTC/USDT": btc_rules()}


def _trade(
    store: Store, portfolio: Portfolio, cid: str, side: Side, price: int, at: datetime
) -> None:
    quantity = Decimal("0.1") if side is Side.BUY else Decimal("0.0999")  # buy fee is in base
    order = Order(cid, "BTC/USDT", side, OrderType.MARKET, quantity, created_at=at)
    store.record_intent(order, TradingMode.PAPER)
    fee_asset, fee = ("BTC", Decimal("0.0001")) if side is Side.BUY else ("USDT", Decimal(3))
    fill = Fill(cid + "-1", cid, "BTC/USDT", side, Decimal(price), quantity, fee, fee_asset, at)
    portfolio.apply(fill)
    store.record_fills(
        cid,
        [fill],
        order_status=OrderStatus.FILLED,
        filled_quantity=quantity,
        average_price=Decimal(price),
        position_update=portfolio.position("BTC/USDT"),
        at=at,
    )


async def test_seed_today_when_restarted_keeps_todays_loss_and_order_count(store: Store) -> None:
    live = Portfolio(quote_asset="USDT", markets=RULES.values(), cash={"USDT": Decimal(100_000)})
    _trade(store, live, "r1-1", Side.BUY, 30_000, NOW - timedelta(days=1))  # yesterday
    _trade(store, live, "r1-2", Side.SELL, 29_000, NOW - timedelta(hours=2))  # today: a loss
    before_restart = Account(live).snapshot(NOW)  # the running bot's view (counts from start)

    restarted = Account(
        Portfolio(
            quote_asset="USDT",
            markets=RULES.values(),
            cash={"USDT": live.balance("USDT")},
            positions=[r.to_position() for r in store.load_positions(TradingMode.PAPER)],
        )
    )
    async_store = AsyncStore(store)
    await seed_today(restarted, mode=TradingMode.PAPER, store=async_store, rules=RULES, now=NOW)
    snapshot = restarted.snapshot(NOW)

    # Yesterday's buy fee (0.0001 BTC at 30000 = 3 USDT) is not today's; today's sell lost
    # 0.0999 * (29000 - 30000) = -99.9 gross plus its 3 USDT fee.
    assert snapshot.realized_pnl_today_quote == Decimal("-102.9")
    assert snapshot.trades_today == 1
    assert before_restart.realized_pnl_today_quote == 0  # what a restart used to report
