"""Matching engine: places, fills and cancels orders against the synthetic book and price path.

Pure bookkeeping over :class:`Account` objects: no I/O and no clock of its own (every call gets
the market time). Takers walk the book level by level; resting LIMIT orders fill completely at
their price when the price path reaches it (:meth:`MatchingEngine.advance`).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from imb_bot.exchange.sim.book import Book, Level
from imb_bot.exchange.sim.decimals import EIGHT_PLACES, ZERO, floor_to_step
from imb_bot.exchange.sim.errors import (
    DUPLICATE_ORDER,
    INSUFFICIENT_BALANCE,
    INVALID_SYMBOL,
    UNKNOWN_ORDER,
    BinanceError,
    filter_failure,
)
from imb_bot.exchange.sim.filters import (
    check_limit_order,
    check_market_notional,
    check_market_qty,
)
from imb_bot.exchange.sim.ledger import Account
from imb_bot.exchange.sim.markets import MarketSpec
from imb_bot.exchange.sim.orders import Order, Trade

__all__ = ["MatchingEngine", "OrderRequest", "PriceFeed"]


class PriceFeed(Protocol):
    """Market data the engine trades against."""

    def book(self, symbol: str, now_ms: int) -> Book:
        """Return the order book of ``symbol`` at market time ``now_ms``."""
        ...

    def first_cross(
        self, symbol: str, t0_ms: int, t1_ms: int, level: Decimal, falling: bool
    ) -> int | None:
        """Return when in (t0, t1] the price first reaches ``level`` from above/below, or None."""
        ...


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A validated ``POST /api/v3/order``; exactly one of quantity / quote_order_qty is set."""

    symbol: str
    side: str  # BUY | SELL
    type: str  # MARKET | LIMIT | LIMIT_MAKER
    time_in_force: str = "GTC"
    quantity: Decimal | None = None
    quote_order_qty: Decimal | None = None
    price: Decimal | None = None
    client_order_id: str | None = None


def _generated_id(*parts: object) -> str:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


class MatchingEngine:
    """Order placement, execution and cancellation for all accounts of one exchange."""

    def __init__(
        self, markets: Mapping[str, MarketSpec], feed: PriceFeed, commission_rate: Decimal
    ) -> None:
        self.markets = markets
        self.feed = feed
        self.commission_rate = commission_rate
        self.next_order_id: dict[str, int] = dict.fromkeys(markets, 1)
        self.next_trade_id: dict[str, int] = dict.fromkeys(markets, 1)

    # --- placing -------------------------------------------------------------------------------

    def place(self, account: Account, req: OrderRequest, now_ms: int) -> Order:
        """Validate, accept and execute an order; return it in its state after matching.

        Raises:
            BinanceError: -1121 unknown symbol, -1013 filter failure, -2010 duplicate client id,
                insufficient balance or a LIMIT_MAKER that would take.
        """
        spec = self.markets.get(req.symbol)
        if spec is None:
            raise BinanceError(400, -1121, INVALID_SYMBOL)
        if req.client_order_id is not None and req.client_order_id in account.open_client_ids:
            raise BinanceError(400, -2010, DUPLICATE_ORDER)
        book = self.feed.book(req.symbol, now_ms)
        if req.type == "MARKET":
            return self._place_market(account, spec, book, req, now_ms)
        return self._place_limit(account, spec, book, req, now_ms)

    def _new_order(
        self,
        account: Account,
        spec: MarketSpec,
        req: OrderRequest,
        now_ms: int,
        *,
        qty: Decimal,
        price: Decimal,
        tif: str,
    ) -> Order:
        order_id = self.next_order_id[spec.symbol]
        self.next_order_id[spec.symbol] = order_id + 1
        client_id = req.client_order_id or _generated_id(account.api_key, spec.symbol, order_id)
        return Order(
            symbol=spec.symbol,
            order_id=order_id,
            client_order_id=client_id,
            side=req.side,
            type=req.type,
            time_in_force=tif,
            price=price,
            orig_qty=qty,
            orig_quote_order_qty=req.quote_order_qty or ZERO,
            time=now_ms,
            update_time=now_ms,
        )

    def _place_market(
        self, account: Account, spec: MarketSpec, book: Book, req: OrderRequest, now_ms: int
    ) -> Order:
        buy = req.side == "BUY"
        levels = book.asks if buy else book.bids
        if req.quote_order_qty is not None:
            check_market_notional(spec, req.quote_order_qty)
            plan = _walk_quote(levels, req.quote_order_qty, spec.step_size)
            qty = sum((q for _, q in plan), ZERO)
            if qty < spec.min_qty:
                raise filter_failure("LOT_SIZE")
            if buy and req.quote_order_qty > account.balance(spec.quote).free:
                raise BinanceError(400, -2010, INSUFFICIENT_BALANCE)
        else:
            assert req.quantity is not None
            qty = req.quantity
            check_market_qty(spec, qty, book.mid)
            plan = _walk_qty(levels, qty, None, buy)
        if buy:
            cost = sum((p * q for p, q in plan), ZERO)
            if cost > account.balance(spec.quote).free:
                raise BinanceError(400, -2010, INSUFFICIENT_BALANCE)
        elif qty > account.balance(spec.base).free:
            raise BinanceError(400, -2010, INSUFFICIENT_BALANCE)
        order = self._new_order(account, spec, req, now_ms, qty=qty, price=ZERO, tif="GTC")
        for price, fill_qty in plan:
            self._fill(account, spec, order, price=price, qty=fill_qty, now_ms=now_ms, maker=False)
        order.status = "FILLED" if order.executed_qty == order.orig_qty else "EXPIRED"
        account.add_order(order)
        account.update_time = now_ms
        return order

    def _place_limit(
        self, account: Account, spec: MarketSpec, book: Book, req: OrderRequest, now_ms: int
    ) -> Order:
        assert req.price is not None and req.quantity is not None
        price, qty = req.price, req.quantity
        check_limit_order(spec, price, qty)
        buy = req.side == "BUY"
        levels = book.asks if buy else book.bids
        plan = _walk_qty(levels, qty, price, buy)
        if req.type == "LIMIT_MAKER" and plan:
            raise BinanceError(400, -2010, "Order would immediately match and take.")
        tif = "GTC" if req.type == "LIMIT_MAKER" else req.time_in_force
        reserve = price * qty if buy else qty
        account.lock(spec.quote if buy else spec.base, reserve)
        order = self._new_order(account, spec, req, now_ms, qty=qty, price=price, tif=tif)
        order.reserved = reserve
        fillable = sum((q for _, q in plan), ZERO)
        if tif != "FOK" or fillable == qty:
            for level_price, fill_qty in plan:
                self._fill(
                    account,
                    spec,
                    order,
                    price=level_price,
                    qty=fill_qty,
                    now_ms=now_ms,
                    maker=False,
                )
        if order.remaining == ZERO:
            order.status = "FILLED"
        elif tif == "GTC":
            order.status = "PARTIALLY_FILLED" if order.executed_qty > ZERO else "NEW"
        else:
            self._release(account, spec, order)
            order.status = "EXPIRED"
        account.add_order(order)
        account.update_time = now_ms
        return order

    # --- executing -----------------------------------------------------------------------------

    def _fill(
        self,
        account: Account,
        spec: MarketSpec,
        order: Order,
        *,
        price: Decimal,
        qty: Decimal,
        now_ms: int,
        maker: bool,
    ) -> None:
        buy = order.side == "BUY"
        cost = price * qty
        is_limit = order.type != "MARKET"
        if buy:
            if is_limit:
                released = order.price * qty
                account.unlock(spec.quote, released)
                order.reserved -= released
            fee = (qty * self.commission_rate).quantize(EIGHT_PLACES, ROUND_HALF_UP)
            account.settle(
                pay_asset=spec.quote, pay=cost, from_locked=ZERO, get_asset=spec.base, get=qty - fee
            )
            fee_asset = spec.base
        else:
            if is_limit:
                account.unlock(spec.base, qty)
                order.reserved -= qty
            fee = (cost * self.commission_rate).quantize(EIGHT_PLACES, ROUND_HALF_UP)
            account.settle(
                pay_asset=spec.base, pay=qty, from_locked=ZERO, get_asset=spec.quote, get=cost - fee
            )
            fee_asset = spec.quote
        trade_id = self.next_trade_id[spec.symbol]
        self.next_trade_id[spec.symbol] = trade_id + 1
        trade = Trade(
            symbol=spec.symbol,
            id=trade_id,
            order_id=order.order_id,
            price=price,
            qty=qty,
            quote_qty=cost,
            commission=fee,
            commission_asset=fee_asset,
            time=now_ms,
            is_buyer=buy,
            is_maker=maker,
        )
        order.fills.append(trade)
        order.executed_qty += qty
        order.cummulative_quote_qty += cost
        order.update_time = now_ms
        account.add_trade(trade)

    def _release(self, account: Account, spec: MarketSpec, order: Order) -> None:
        # give back whatever the order still locks
        if order.reserved > ZERO:
            account.unlock(spec.quote if order.side == "BUY" else spec.base, order.reserved)
            order.reserved = ZERO

    def advance(self, accounts: Iterable[Account], t0_ms: int, t1_ms: int) -> bool:
        """Fill resting orders whose price the path reached in (t0, t1]; True if any filled."""
        if t1_ms <= t0_ms:
            return False
        hits: list[tuple[int, str, int, Account, Order]] = []
        for account in accounts:
            for order in account.open_orders.values():
                if order.symbol not in self.markets:
                    continue  # restored from a state file written with other markets
                when = self.feed.first_cross(
                    order.symbol, t0_ms, t1_ms, order.price, falling=order.side == "BUY"
                )
                if when is not None:
                    hits.append((when, order.symbol, order.order_id, account, order))
        hits.sort(key=lambda hit: hit[:3])
        for when, symbol, _, account, order in hits:
            spec = self.markets[symbol]
            self._fill(
                account,
                spec,
                order,
                price=order.price,
                qty=order.remaining,
                now_ms=when,
                maker=True,
            )
            order.status = "FILLED"
            account.close_order(order)
            account.update_time = when
        return bool(hits)

    # --- cancelling ----------------------------------------------------------------------------

    def cancel(
        self,
        account: Account,
        symbol: str,
        order_id: int | None,
        client_order_id: str | None,
        now_ms: int,
    ) -> Order:
        """Cancel an open order and release what it locks.

        Raises:
            BinanceError: -1121 unknown symbol; -2011 unknown, already final or not this account's.
        """
        spec = self.markets.get(symbol)
        if spec is None:
            raise BinanceError(400, -1121, INVALID_SYMBOL)
        order = account.find_order(symbol, order_id, client_order_id)
        if order is None or not order.is_open:
            raise BinanceError(400, -2011, UNKNOWN_ORDER)
        self._release(account, spec, order)
        order.status = "CANCELED"
        order.update_time = now_ms
        account.close_order(order)
        account.update_time = now_ms
        return order

    def cancel_client_id(self, account: Account, order: Order, now_ms: int) -> str:
        """Return a generated id for a cancel request that did not name one."""
        return _generated_id("cancel", account.api_key, order.symbol, order.order_id, now_ms)


def _walk_qty(
    levels: tuple[Level, ...], qty: Decimal, limit: Decimal | None, buy: bool
) -> list[Level]:
    # fills for `qty` taking levels best-first, stopping at the limit price if any
    plan: list[Level] = []
    left = qty
    for price, size in levels:
        if left <= ZERO:
            break
        if limit is not None and (price > limit if buy else price < limit):
            break
        take = min(size, left)
        plan.append((price, take))
        left -= take
    return plan


def _walk_quote(levels: tuple[Level, ...], quote_qty: Decimal, step: Decimal) -> list[Level]:
    # fills spending (or earning) at most `quote_qty`, quantities on the step grid
    plan: list[Level] = []
    left = quote_qty
    for price, size in levels:
        take = min(size, floor_to_step(left / price, step))
        if take <= ZERO:
            break
        plan.append((price, take))
        left -= price * take
    return plan
