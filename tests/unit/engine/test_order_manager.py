"""Order manager: never re-send, never take 'could not ask' for 'not there', book fills once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from imb_bot.config import TradingMode
from imb_bot.core.models import Fill, Order, OrderStatus, OrderType, Side
from imb_bot.core.portfolio import Portfolio
from imb_bot.core.testing import btc_rules
from imb_bot.engine.account import Account
from imb_bot.engine.order_manager import OrderManager
from imb_bot.engine.status import BotStatus
from imb_bot.exchange.connector import OrderUpdate, OutcomeUnknown, PlaceOrderResult
from imb_bot.exchange.errors import (
    DuplicateOrderError,
    InsufficientFundsError,
    OrderOutcomeUnknownError,
    TransientError,
)

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
ORDER = Order(
    client_order_id="r1_abc-1",
    symbol="BTC/USDT",
    side=Side.BUY,
    type=OrderType.MARKET,
    quantity=Decimal("0.01"),
    created_at=NOW,
)
FILL = Fill(
    trade_id="7",
    client_order_id=ORDER.client_order_id,
    symbol="BTC/USDT",
    side=Side.BUY,
    price=Decimal(50000),
    quantity=Decimal("0.01"),
    fee=Decimal("0.00001"),
    fee_asset="BTC",
    executed_at=NOW,
)
FILLED = OrderUpdate(
    order=replace(ORDER, status=OrderStatus.FILLED, filled_quantity=Decimal("0.01")),
    fills=(FILL,),
)


class FakeBroker:
    """Scripted venue: ``place`` and ``lookup`` answers are taken from lists in order."""

    def __init__(
        self,
        place: list[PlaceOrderResult | Exception],
        lookups: list[OrderUpdate | Exception | None],
    ) -> None:
        self.place_answers = place
        self.lookup_answers = lookups
        self.placed: list[str] = []
        self.looked_up = 0

    async def place(self, order: Order) -> PlaceOrderResult:
        self.placed.append(order.client_order_id)
        answer = self.place_answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def lookup(self, order: Order) -> OrderUpdate | None:
        self.looked_up += 1
        answer = self.lookup_answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def poll(self, open_orders: Sequence[Order]) -> list[OrderUpdate]:
        return []

    async def recover(self, order: Order, stored_fills: Sequence[Fill]) -> OrderUpdate | None:
        return await self.lookup(order)

    async def cancel(self, order: Order) -> OrderUpdate:
        return OrderUpdate(order=replace(order, status=OrderStatus.CANCELED))


async def _no_sleep(_: float) -> None:
    return None


def _manager(broker: FakeBroker, checks: int = 3) -> OrderManager:
    portfolio = Portfolio(quote_asset="USDT", markets=[btc_rules()], cash={"USDT": Decimal(10_000)})
    return OrderManager(
        mode=TradingMode.LIVE_TESTNET,
        broker=broker,
        account=Account(portfolio),
        status=BotStatus(mode="LIVE_TESTNET", symbols=["BTC/USDT"]),
        clock=lambda: NOW,
        unknown_checks=checks,
        sleep=_no_sleep,
    )


def _unknown() -> OutcomeUnknown:
    error = OrderOutcomeUnknownError("timed out", client_order_id=ORDER.client_order_id)
    return OutcomeUnknown(order=replace(ORDER, status=OrderStatus.UNKNOWN), error=error)


async def test_submit_when_outcome_unknown_and_order_found_books_its_fills_once() -> None:
    broker = FakeBroker([_unknown()], [TransientError("down"), FILLED])
    manager = _manager(broker)
    result = await manager.submit(ORDER)
    assert result.status is OrderStatus.FILLED
    assert broker.placed == [ORDER.client_order_id]  # never re-sent
    position = manager._account.portfolio.position("BTC/USDT")
    assert position.quantity == Decimal("0.00999")  # 0.01 minus the base fee
    await manager.apply_update(FILLED)  # the same fills again (e.g. a later poll)
    assert manager._account.portfolio.position("BTC/USDT").quantity == Decimal("0.00999")


async def test_submit_when_every_lookup_fails_keeps_order_unknown_not_rejected() -> None:
    broker = FakeBroker([_unknown()], [TransientError("down")] * 3)
    manager = _manager(broker)
    result = await manager.submit(ORDER)
    assert result.status is OrderStatus.UNKNOWN
    assert manager.has_unresolved("BTC/USDT")
    assert broker.placed == [ORDER.client_order_id]


async def test_submit_when_exchange_never_knows_the_order_rejects_with_reason() -> None:
    broker = FakeBroker([_unknown()], [None, None, None])
    result = await _manager(broker).submit(ORDER)
    assert result.status is OrderStatus.REJECTED
    assert "did not know the client id in 3 look-ups" in result.reason


async def test_poll_when_unknown_order_appears_later_books_it_and_clears_it() -> None:
    broker = FakeBroker([_unknown()], [TransientError("down")] * 3 + [None, FILLED])
    manager = _manager(broker)
    await manager.submit(ORDER)
    await manager.poll_open_orders()  # not found (one answer, below the limit): still unknown
    assert manager.has_unresolved("BTC/USDT")
    await manager.poll_open_orders()  # found
    assert not manager.open_orders
    assert manager._account.portfolio.position("BTC/USDT").quantity > 0


async def test_poll_when_not_found_often_enough_rejects_the_order() -> None:
    broker = FakeBroker([_unknown()], [TransientError("down")] * 3 + [None, None, None])
    manager = _manager(broker)
    await manager.submit(ORDER)
    for _ in range(3):
        await manager.poll_open_orders()
    assert not manager.open_orders
    assert not manager.has_unresolved("BTC/USDT")


async def test_submit_when_duplicate_order_resolves_instead_of_rejecting() -> None:
    broker = FakeBroker([DuplicateOrderError("Duplicate order sent.")], [FILLED])
    result = await _manager(broker).submit(ORDER)
    assert result.status is OrderStatus.FILLED
    assert broker.looked_up == 1


async def test_submit_when_insufficient_funds_rejects_without_lookup() -> None:
    broker = FakeBroker([InsufficientFundsError("no money")], [])
    result = await _manager(broker).submit(ORDER)
    assert result.status is OrderStatus.REJECTED
    assert "InsufficientFundsError" in result.reason
    assert broker.looked_up == 0


async def test_poll_when_order_is_in_flight_leaves_it_alone() -> None:
    release = asyncio.Event()

    class SlowBroker(FakeBroker):
        async def place(self, order: Order) -> PlaceOrderResult:
            await release.wait()
            return FILLED

    broker = SlowBroker([], [])
    manager = _manager(broker)
    sending = asyncio.create_task(manager.submit(ORDER))
    await asyncio.sleep(0)
    await manager.poll_open_orders()  # another symbol's loop polling meanwhile
    assert broker.looked_up == 0
    release.set()
    assert (await sending).status is OrderStatus.FILLED


@pytest.mark.parametrize("status", [OrderStatus.FILLED, OrderStatus.CANCELED])
async def test_apply_update_when_final_removes_order_from_open_orders(status: OrderStatus) -> None:
    manager = _manager(FakeBroker([], []))
    manager.open_orders[ORDER.client_order_id] = ORDER
    await manager.apply_update(OrderUpdate(order=replace(ORDER, status=status)))
    assert ORDER.client_order_id not in manager.open_orders


async def test_poll_when_symbol_given_looks_up_only_that_symbols_orders() -> None:
    broker = FakeBroker([], [FILLED])
    manager = _manager(broker)
    eth = replace(ORDER, client_order_id="r1_abc-2", symbol="ETH/USDT", status=OrderStatus.UNKNOWN)
    manager.open_orders[eth.client_order_id] = eth
    await manager.poll_open_orders("BTC/USDT")
    assert broker.looked_up == 0  # the ETH loop polls its own orders
    assert manager.has_unresolved("ETH/USDT")
