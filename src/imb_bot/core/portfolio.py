"""Portfolio accounting in Decimal: cash per asset, positions, realized/unrealized PnL, equity.

Conventions (Binance spot; one quote asset per portfolio):

* Fees are charged in the received asset: a buy's fee in base (you receive ``qty - fee``), a
  sell's fee in quote (you receive ``qty * price - fee``). Fees in base or quote are supported
  either way; fees in a third asset (e.g. BNB) are deducted from that asset's cash and counted in
  :attr:`Portfolio.other_fees`, not in quote.
* **Average entry excludes fees.** A position keeps its *cost basis*: the base it holds valued at
  the fill prices. A buy of ``q`` at ``p`` with a base fee ``f`` adds ``q - f`` base at cost
  ``(q - f) * p``; ``average_entry_price = cost_basis / quantity``.
* Every fee is valued in quote **at its fill's price** (``f * p`` for a base fee, ``f`` for a
  quote fee) and summed in ``fees_quote``; realized PnL is gross of fees.
* A sell of ``q`` realizes ``q * p - cost_basis * q / Q`` (average cost); selling everything
  releases exactly the remaining cost basis. A base fee on a sell counts as base sold at ``p``.
* Unrealized PnL at mark ``m`` is ``Q * m - cost_basis``.

Hence, for any sequence of fills with fees in base or quote:
``equity change = realized PnL + unrealized PnL - fees_quote``, where equity is quote cash plus
every position at its mark (third assets are not valued). It holds exactly, not approximately:
the only division (cost released by a partial sell, rounded to 1e-12 quote) moves the same
amount out of the cost basis and into realized PnL, and every other step is an exact Decimal
sum or product while amounts fit Decimal's 28 significant digits.

A base asset's balance *is* its position quantity. Fills are applied once per (symbol, trade id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Final

from imb_bot.core.models import Fill, MarketRules, Side

__all__ = ["Portfolio", "Position"]

_ZERO: Final = Decimal(0)
# The cost basis released by a partial sell (a division) is rounded to this many quote units, so
# that amounts keep a bounded number of decimals and later sums stay exact.
_COST_QUANTUM: Final = Decimal("1e-12")


@dataclass(frozen=True, slots=True)
class Position:
    """Holdings of one symbol's base asset and their accounting, in quote."""

    symbol: str
    quantity: Decimal = _ZERO  # base held
    cost_basis_quote: Decimal = _ZERO  # cost of ``quantity`` at fill prices, fees excluded
    realized_pnl_quote: Decimal = _ZERO  # closed PnL, gross of fees
    fees_quote: Decimal = _ZERO  # fees of this symbol's fills, valued at fill price
    updated_at: datetime | None = None  # time of the last fill applied

    @property
    def is_open(self) -> bool:
        """True while some base is held."""
        return self.quantity > _ZERO

    @property
    def average_entry_price(self) -> Decimal | None:
        """Cost basis per unit held (fees excluded); None when flat."""
        return self.cost_basis_quote / self.quantity if self.quantity > _ZERO else None

    def value(self, mark: Decimal) -> Decimal:
        """Quantity at ``mark``, in quote."""
        return self.quantity * mark

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        """PnL of the holdings if sold at ``mark``, before fees."""
        return self.quantity * mark - self.cost_basis_quote


class Portfolio:
    """Cash and positions of one account in one quote asset; ``apply(fill)`` keeps them current."""

    def __init__(
        self,
        *,
        quote_asset: str,
        markets: Iterable[MarketRules],
        cash: Mapping[str, Decimal] | None = None,
        positions: Iterable[Position] = (),
    ) -> None:
        """Start from ``cash`` (quote and other assets) and ``positions`` (base assets).

        Raises ``ValueError`` for a market in another quote asset, a base asset given as cash
        (pass it as a :class:`Position` with its cost basis), or a position of an unknown symbol.
        """
        self._quote = quote_asset
        self._base_of: dict[str, str] = {}
        for rules in markets:
            if rules.quote_asset != quote_asset:
                raise ValueError(
                    f"market {rules.symbol} is quoted in {rules.quote_asset}, "
                    f"expected quote_asset {quote_asset}"
                )
            self._base_of[rules.symbol] = rules.base_asset
        self._symbol_of_base = {base: symbol for symbol, base in self._base_of.items()}
        self._cash: dict[str, Decimal] = {quote_asset: _ZERO}
        for asset, amount in (cash or {}).items():
            if asset in self._symbol_of_base:
                raise ValueError(
                    f"cash[{asset!r}]: {asset} is the base asset of "
                    f"{self._symbol_of_base[asset]}; pass it as a Position with its cost basis"
                )
            self._cash[asset] = amount
        self._positions: dict[str, Position] = {s: Position(s) for s in self._base_of}
        for position in positions:
            if position.symbol not in self._base_of:
                raise ValueError(f"position symbol {position.symbol!r} is not among the markets")
            self._positions[position.symbol] = position
        self._seen: set[tuple[str, str]] = set()
        self._other_fees: dict[str, Decimal] = {}

    @property
    def quote_asset(self) -> str:
        """The currency of every ``*_quote`` amount."""
        return self._quote

    def balance(self, asset: str) -> Decimal:
        """Total held of ``asset`` (a base asset's balance is its position quantity)."""
        symbol = self._symbol_of_base.get(asset)
        if symbol is not None:
            return self._positions[symbol].quantity
        return self._cash.get(asset, _ZERO)

    @property
    def balances(self) -> dict[str, Decimal]:
        """Every asset held or tracked, including base assets."""
        out = dict(self._cash)
        for symbol, base in self._base_of.items():
            out[base] = self._positions[symbol].quantity
        return out

    def position(self, symbol: str) -> Position:
        """The position of ``symbol`` (flat if never traded); KeyError for an unknown symbol."""
        return self._positions[symbol]

    @property
    def positions(self) -> dict[str, Position]:
        """Every position, open or flat, by symbol."""
        return dict(self._positions)

    @property
    def open_positions(self) -> dict[str, Position]:
        """Positions holding some base, by symbol."""
        return {s: p for s, p in self._positions.items() if p.quantity > _ZERO}

    @property
    def realized_pnl_quote(self) -> Decimal:
        """Realized PnL of every symbol, gross of fees."""
        return sum((p.realized_pnl_quote for p in self._positions.values()), _ZERO)

    @property
    def fees_quote(self) -> Decimal:
        """Fees paid in base or quote, valued at their fill prices."""
        return sum((p.fees_quote for p in self._positions.values()), _ZERO)

    @property
    def other_fees(self) -> dict[str, Decimal]:
        """Fees paid in third assets (e.g. BNB), by asset, not valued in quote."""
        return dict(self._other_fees)

    def unrealized_pnl(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Unrealized PnL of the open positions at ``marks`` (price by symbol)."""
        return sum(
            (p.unrealized_pnl(self._mark(marks, s)) for s, p in self.open_positions.items()), _ZERO
        )

    def equity(self, marks: Mapping[str, Decimal]) -> Decimal:
        """Quote cash plus every open position at its mark; raises ValueError for a missing mark."""
        total = self._cash[self._quote]
        for symbol, position in self._positions.items():
            if position.quantity != _ZERO:
                total += position.quantity * self._mark(marks, symbol)
        return total

    def apply(self, fill: Fill) -> bool:
        """Book one fill; return False (and change nothing) if it was already applied.

        Raises ``ValueError`` for an unknown symbol or a sell of more base than held (the
        account must be reconciled first); nothing is changed then.
        """
        key = (fill.symbol, fill.trade_id)
        if key in self._seen:
            return False
        base = self._base_of.get(fill.symbol)
        if base is None:
            raise ValueError(f"fill {fill.trade_id}: unknown symbol {fill.symbol!r}")
        pos = self._positions[fill.symbol]
        qty, price, quote_amount, fee = fill.quantity, fill.price, fill.quote_quantity, fill.fee
        fee_in_base = fee != _ZERO and fill.fee_asset == base
        fee_in_quote = fee != _ZERO and fill.fee_asset == self._quote
        fee_quote = fee * price if fee_in_base else fee if fee_in_quote else _ZERO

        quantity, cost, realized = pos.quantity, pos.cost_basis_quote, pos.realized_pnl_quote
        quote_cash = self._cash[self._quote]
        if fill.side is Side.BUY:
            received = qty - fee if fee_in_base else qty
            quantity += received
            cost += quote_amount - fee_quote if fee_in_base else quote_amount
            quote_cash -= quote_amount
        else:
            sold = qty + fee if fee_in_base else qty
            if sold > pos.quantity:
                raise ValueError(
                    f"fill {fill.trade_id}: sells {sold} {base} of {fill.symbol} but the "
                    f"position holds {pos.quantity}; reconcile balances first"
                )
            released = (
                cost
                if sold == pos.quantity
                else (cost * sold / pos.quantity).quantize(_COST_QUANTUM)
            )
            proceeds = quote_amount + fee_quote if fee_in_base else quote_amount
            realized += proceeds - released
            quantity -= sold
            cost -= released
            quote_cash += quote_amount
        if fee_in_quote:
            quote_cash -= fee
        elif not fee_in_base and fee != _ZERO:
            self._cash[fill.fee_asset] = self._cash.get(fill.fee_asset, _ZERO) - fee
            self._other_fees[fill.fee_asset] = self._other_fees.get(fill.fee_asset, _ZERO) + fee

        self._cash[self._quote] = quote_cash
        self._positions[fill.symbol] = replace(
            pos,
            quantity=quantity,
            cost_basis_quote=cost,
            realized_pnl_quote=realized,
            fees_quote=pos.fees_quote + fee_quote,
            updated_at=fill.executed_at,
        )
        self._seen.add(key)
        return True

    def _mark(self, marks: Mapping[str, Decimal], symbol: str) -> Decimal:
        mark = marks.get(symbol)
        if mark is None:
            raise ValueError(f"no mark price for open position {symbol}")
        return mark
