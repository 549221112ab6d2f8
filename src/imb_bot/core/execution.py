"""Turn an approved signal into an exchange-valid order: sizing, balances, filters, client ids.

Sizing (``signal.size_type``), at price ``P`` (the limit price for a LIMIT order, else the
reference price: ask for a buy, bid for a sell):

* ``fixed_quote``: ``size_value / P`` base; ``fixed_base``: ``size_value`` base;
  ``percent_equity``: ``equity_quote * size_value / 100 / P`` base.
* A buy never spends more quote than free: for a market buy the affordable quantity is
  ``quote_free / (P * (1 + buy_price_buffer_bps / 10000))``, so slippage up to the buffer cannot
  overdraw; a limit buy spends exactly ``quantity * P``. A sell never sells more base than free.
* The quantity is capped by the exchange maxima (``max_quantity``, ``max_notional / P``) and
  rounded **down** to the step size. A market order uses the ``MARKET_LOT_SIZE`` filter where
  set (its step, and the stricter of both min/max quantities) in addition to ``LOT_SIZE``.
* A limit price is rounded to the tick size so that it is never worse than asked: a buy rounds
  **down**, a sell rounds **up**.
* Below the minimum quantity or minimum notional (``quantity * P``) nothing is built: the
  result is a :class:`~imb_bot.core.decisions.Rejected` with the numbers.

Client order ids are ``<run_id>-<sequence>`` (Binance allows ``^[a-zA-Z0-9-_]{1,36}$``); an id is
drawn only when an order is actually built, so rejections do not consume sequence numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Final

from imb_bot.core._checks import require, require_aware
from imb_bot.core.decisions import RejectCode, Rejected
from imb_bot.core.models import (
    MarketRules,
    Order,
    OrderType,
    Side,
    Signal,
    SignalAction,
    SizeType,
    TimeInForce,
)

__all__ = [
    "CLIENT_ORDER_ID_PATTERN",
    "ClientOrderIdFactory",
    "ExecutionConfig",
    "ExecutionEngine",
    "build_order_from_signal",
    "floor_to_step",
    "order_notional",
    "round_price_to_tick",
    "sellable_quantity",
]

CLIENT_ORDER_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9_-]{1,36}$")  # Binance's rule
_RUN_ID_PATTERN: Final = re.compile(r"^[a-zA-Z0-9_]{1,24}$")
_OWN_ID_PATTERN: Final = re.compile(r"^([a-zA-Z0-9_]{1,24})-([0-9]{1,11})$")
_MAX_ID_LENGTH: Final = 36
_ZERO: Final = Decimal(0)
_ONE: Final = Decimal(1)
_BPS: Final = Decimal(10_000)
_HUNDRED: Final = Decimal(100)


class ClientOrderIdFactory:
    """Deterministic, unique client order ids ``<run_id>-<sequence>``, sequence from 1.

    Unique as long as ``run_id`` is unique per bot run, or the sequence is resumed after a
    restart with :meth:`resume` from the ids already persisted.
    """

    __slots__ = ("_next", "_run_id")

    def __init__(self, run_id: str, next_sequence: int = 1) -> None:
        require(
            isinstance(run_id, str) and _RUN_ID_PATTERN.fullmatch(run_id) is not None,
            "run_id",
            "1-24 characters of [a-zA-Z0-9_]",
            run_id,
        )
        require(
            isinstance(next_sequence, int) and next_sequence >= 1,
            "next_sequence",
            "an int >= 1",
            next_sequence,
        )
        self._run_id = run_id
        self._next = next_sequence

    @classmethod
    def resume(cls, run_id: str, issued_ids: Iterable[str]) -> ClientOrderIdFactory:
        """Continue after the highest sequence of ``run_id`` among ``issued_ids`` (others skip)."""
        last = 0
        for client_order_id in issued_ids:
            parsed = cls.parse(client_order_id)
            if parsed is not None and parsed[0] == run_id:
                last = max(last, parsed[1])
        return cls(run_id, last + 1)

    @staticmethod
    def parse(client_order_id: str) -> tuple[str, int] | None:
        """Split an id made by this factory into (run_id, sequence); None for a foreign id."""
        match = _OWN_ID_PATTERN.fullmatch(client_order_id)
        if match is None:
            return None
        return match[1], int(match[2])

    @property
    def run_id(self) -> str:
        """The run part of every id."""
        return self._run_id

    @property
    def next_sequence(self) -> int:
        """The sequence number the next id will carry."""
        return self._next

    def next(self) -> str:
        """Return a new id and advance the sequence."""
        client_order_id = f"{self._run_id}-{self._next}"
        if len(client_order_id) > _MAX_ID_LENGTH:
            raise ValueError(
                f"client order id {client_order_id!r} is longer than {_MAX_ID_LENGTH} characters; "
                "start a new run_id"
            )
        self._next += 1
        return client_order_id


@dataclass(frozen=True, slots=True)
class ExecutionConfig:
    """How :func:`build_order_from_signal` shapes orders."""

    order_type: OrderType = OrderType.MARKET  # type of the orders built from signals
    time_in_force: TimeInForce = TimeInForce.GTC  # lifetime of LIMIT orders
    buy_price_buffer_bps: Decimal = Decimal(0)  # quote kept back on market buys, in bps of price

    def __post_init__(self) -> None:
        require(
            isinstance(self.order_type, OrderType),
            "order_type",
            f"one of {[t.value for t in OrderType]}",
            self.order_type,
        )
        require(
            isinstance(self.time_in_force, TimeInForce),
            "time_in_force",
            f"one of {[t.value for t in TimeInForce]}",
            self.time_in_force,
        )
        buffer = self.buy_price_buffer_bps
        require(
            isinstance(buffer, Decimal) and 0 <= buffer < _BPS,
            "buy_price_buffer_bps",
            "a Decimal in [0, 10000)",
            buffer,
        )


_DEFAULT_CONFIG: Final = ExecutionConfig()


def floor_to_step(value: Decimal, step: Decimal) -> Decimal:
    """Round ``value`` down to a multiple of ``step``; a step <= 0 means no rounding."""
    if step <= _ZERO:
        return value
    return (value / step).to_integral_value(rounding=ROUND_FLOOR) * step


def round_price_to_tick(price: Decimal, tick: Decimal, side: Side) -> Decimal:
    """Round a limit price to the tick size: a buy down, a sell up; a tick <= 0 means none."""
    if tick <= _ZERO:
        return price
    rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
    return (price / tick).to_integral_value(rounding=rounding) * tick


def order_notional(order: Order, reference_price: Decimal | None = None) -> Decimal:
    """Quote value of an order: ``quote_quantity``, else quantity x (limit or reference price)."""
    if order.quote_quantity is not None:
        return order.quote_quantity
    price = order.price if order.price is not None else reference_price
    if price is None:
        raise ValueError(f"{order.client_order_id}: a market order needs a reference price")
    return order.quantity * price


@dataclass(frozen=True, slots=True)
class _Lot:
    # Effective quantity filter for one order type; 0 / None mean "not set".
    step: Decimal
    market_step: Decimal
    min_quantity: Decimal
    max_quantity: Decimal | None


def _lot(rules: MarketRules, order_type: OrderType) -> _Lot:
    max_qty = rules.max_quantity if rules.max_quantity > _ZERO else None
    if order_type is not OrderType.MARKET:
        return _Lot(rules.step_size, _ZERO, rules.min_quantity, max_qty)
    min_qty = max(rules.min_quantity, rules.market_min_quantity or _ZERO)
    market_max = rules.market_max_quantity
    if market_max is not None and market_max > _ZERO:
        max_qty = market_max if max_qty is None else min(max_qty, market_max)
    return _Lot(rules.step_size, rules.market_step_size or _ZERO, min_qty, max_qty)


def _round_quantity(quantity: Decimal, lot: _Lot) -> Decimal:
    return floor_to_step(floor_to_step(quantity, lot.step), lot.market_step)


def sellable_quantity(
    held: Decimal, rules: MarketRules, price: Decimal, order_type: OrderType = OrderType.MARKET
) -> Decimal:
    """The part of ``held`` base that one order can sell at ``price``; 0 for dust.

    Pass this to the strategy as its position: dust the exchange would refuse counts as flat.
    """
    lot = _lot(rules, order_type)
    quantity = held if lot.max_quantity is None else min(held, lot.max_quantity)
    quantity = _round_quantity(quantity, lot)
    if quantity <= _ZERO or quantity < lot.min_quantity or quantity * price < rules.min_notional:
        return _ZERO
    return quantity


def build_order_from_signal(
    signal: Signal,
    *,
    rules: MarketRules,
    price: Decimal,
    base_free: Decimal,
    quote_free: Decimal,
    equity_quote: Decimal,
    ids: ClientOrderIdFactory,
    now: datetime,
    config: ExecutionConfig = _DEFAULT_CONFIG,
    limit_price: Decimal | None = None,
) -> Order | Rejected:
    """Size and round an order for ``signal``; see the module docstring for every rule.

    ``price`` is the reference price (ask for a buy, bid for a sell). ``limit_price`` (LIMIT
    orders only) defaults to ``price``. Raises ``ValueError`` if the signal's symbol is not
    ``rules.symbol`` or ``now`` is naive: those are caller bugs, not market conditions.
    """
    if signal.symbol != rules.symbol:
        raise ValueError(f"signal symbol {signal.symbol!r} does not match rules {rules.symbol!r}")
    require_aware(now, "now")
    if signal.action is SignalAction.HOLD:
        return Rejected(RejectCode.NOT_ACTIONABLE, "HOLD signals produce no order")
    side = Side.BUY if signal.action is SignalAction.BUY else Side.SELL
    base, quote = rules.base_asset, rules.quote_asset
    if not price > _ZERO:
        return Rejected(RejectCode.INVALID_PRICE, f"reference price={price} {quote}, must be > 0")

    order_type = config.order_type
    px = price
    if order_type is OrderType.LIMIT:
        wanted_price = limit_price if limit_price is not None else price
        px = round_price_to_tick(wanted_price, rules.tick_size, side)
        too_high = rules.max_price is not None and rules.max_price > _ZERO and px > rules.max_price
        if px <= _ZERO or px < rules.min_price or too_high:
            return Rejected(
                RejectCode.PRICE_OUT_OF_RANGE,
                f"limit price={px} {quote}, allowed [{rules.min_price}, {rules.max_price}]",
            )

    if signal.size_type is SizeType.FIXED_BASE:
        wanted = signal.size_value
    elif signal.size_type is SizeType.FIXED_QUOTE:
        wanted = signal.size_value / px
    else:
        wanted = equity_quote * signal.size_value / _HUNDRED / px

    if side is Side.BUY:
        unit_cost = px
        if order_type is OrderType.MARKET:
            unit_cost = px * (_ONE + config.buy_price_buffer_bps / _BPS)
        available = max(quote_free, _ZERO) / unit_cost
        balance_text = f"free {quote_free} {quote} at {px}"
    else:
        available = max(base_free, _ZERO)
        balance_text = f"free {base_free} {base}"
    limited_by_balance = available < wanted
    quantity = min(wanted, available)

    lot = _lot(rules, order_type)
    if lot.max_quantity is not None:
        quantity = min(quantity, lot.max_quantity)
    if rules.max_notional is not None and rules.max_notional > _ZERO:
        quantity = min(quantity, rules.max_notional / px)
    quantity = _round_quantity(quantity, lot)

    notional = quantity * px
    below_min_qty = quantity <= _ZERO or quantity < lot.min_quantity
    if below_min_qty or notional < rules.min_notional:
        limits = f"min_qty={lot.min_quantity} {base}, min_notional={rules.min_notional} {quote}"
        if limited_by_balance:
            return Rejected(
                RejectCode.INSUFFICIENT_BALANCE,
                f"wanted={_plain(wanted)} {base}, affordable={quantity} {base} ({balance_text}); "
                f"{limits}",
            )
        if below_min_qty:
            return Rejected(
                RejectCode.QUANTITY_BELOW_MIN,
                f"min={lot.min_quantity} {base}, order={quantity} {base} "
                f"(wanted {_plain(wanted)} {base})",
            )
        return Rejected(
            RejectCode.NOTIONAL_BELOW_MIN,
            f"min={rules.min_notional} {quote}, order={_plain(notional)} {quote} "
            f"({quantity} {base} x {px})",
        )

    return Order(
        client_order_id=ids.next(),
        symbol=rules.symbol,
        side=side,
        type=order_type,
        quantity=quantity,
        created_at=now,
        price=px if order_type is OrderType.LIMIT else None,
        time_in_force=config.time_in_force if order_type is OrderType.LIMIT else None,
        reason=signal.reason,
        strategy=signal.strategy_id,
    )


def _plain(value: Decimal) -> str:
    # Up to 12 decimals without exponent, for messages.
    return format(value.quantize(Decimal("1e-12")).normalize(), "f")


class ExecutionEngine:
    """:func:`build_order_from_signal` bound to one config and one client-id factory."""

    __slots__ = ("_config", "_ids")

    def __init__(self, config: ExecutionConfig, ids: ClientOrderIdFactory) -> None:
        self._config = config
        self._ids = ids

    @property
    def ids(self) -> ClientOrderIdFactory:
        """The client order id factory (its sequence must be persisted with the orders)."""
        return self._ids

    def build_order(
        self,
        signal: Signal,
        *,
        rules: MarketRules,
        price: Decimal,
        base_free: Decimal,
        quote_free: Decimal,
        equity_quote: Decimal,
        now: datetime,
        limit_price: Decimal | None = None,
    ) -> Order | Rejected:
        """Size and round an order for ``signal``; see :func:`build_order_from_signal`."""
        return build_order_from_signal(
            signal,
            rules=rules,
            price=price,
            base_free=base_free,
            quote_free=quote_free,
            equity_quote=equity_quote,
            ids=self._ids,
            now=now,
            config=self._config,
            limit_price=limit_price,
        )
