"""Portfolio: Binance fee assets, average entry, realized/unrealized PnL, equity identity."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imb_bot.core.models import Fill, Side
from imb_bot.core.portfolio import Portfolio, Position
from imb_bot.core.testing import T0, btc_rules

SYMBOL = "BTC/USDT"
ETH = btc_rules(symbol="ETH/USDT", base_asset="ETH")


def _portfolio(cash: str = "10000") -> Portfolio:
    return Portfolio(quote_asset="USDT", markets=[btc_rules(), ETH], cash={"USDT": Decimal(cash)})


def _fill(
    side: Side,
    quantity: str,
    price: str,
    fee: str = "0",
    fee_asset: str | None = None,
    trade_id: str = "t1",
    symbol: str = SYMBOL,
) -> Fill:
    base = symbol.split("/", maxsplit=1)[0]
    return Fill(
        trade_id=trade_id,
        client_order_id="run1-1",
        symbol=symbol,
        side=side,
        price=Decimal(price),
        quantity=Decimal(quantity),
        fee=Decimal(fee),
        fee_asset=fee_asset or (base if side is Side.BUY else "USDT"),
        executed_at=T0,
    )


def test_apply_when_buy_with_base_fee_holds_net_quantity_at_fill_price() -> None:
    # Arrange
    portfolio = _portfolio()

    # Act
    applied = portfolio.apply(_fill(Side.BUY, "0.1", "30000", fee="0.0001"))

    # Assert
    position = portfolio.position(SYMBOL)
    assert applied
    assert position.quantity == Decimal("0.0999")
    assert position.cost_basis_quote == Decimal("2997.0000")
    assert position.average_entry_price == Decimal(30000)  # fees excluded
    assert position.fees_quote == Decimal("3.0000")
    assert portfolio.balance("USDT") == Decimal(7000)
    assert portfolio.balance("BTC") == Decimal("0.0999")
    assert position.updated_at == T0


def test_apply_when_two_buys_averages_entry_by_net_quantity() -> None:
    # Arrange
    portfolio = _portfolio()

    # Act
    portfolio.apply(_fill(Side.BUY, "1", "100", trade_id="a"))
    portfolio.apply(_fill(Side.BUY, "3", "200", trade_id="b"))

    # Assert: (100 + 600) / 4
    assert portfolio.position(SYMBOL).average_entry_price == Decimal(175)
    assert portfolio.balance("USDT") == Decimal(9300)


def test_apply_when_partial_sell_realizes_against_average_cost() -> None:
    # Arrange
    portfolio = _portfolio()
    portfolio.apply(_fill(Side.BUY, "1", "100", trade_id="a"))
    portfolio.apply(_fill(Side.BUY, "3", "200", trade_id="b"))

    # Act: sell 1 at 250, fee 0.25 USDT
    portfolio.apply(_fill(Side.SELL, "1", "250", fee="0.25", trade_id="c"))

    # Assert
    position = portfolio.position(SYMBOL)
    assert position.realized_pnl_quote == Decimal(75)  # 250 - 175, gross of fees
    assert position.fees_quote == Decimal("0.25")
    assert position.quantity == Decimal(3)
    assert position.cost_basis_quote == Decimal(525)
    assert position.average_entry_price == Decimal(175)
    assert portfolio.balance("USDT") == Decimal("9549.75")


def test_apply_when_partial_fills_of_one_order_books_each_once() -> None:
    # Arrange
    portfolio = _portfolio()
    parts = [("0.04", "30000", "t1"), ("0.05", "30010", "t2"), ("0.01", "30020", "t3")]

    # Act
    for quantity, price, trade_id in parts:
        portfolio.apply(_fill(Side.BUY, quantity, price, trade_id=trade_id))
    replay = portfolio.apply(_fill(Side.BUY, "0.05", "30010", trade_id="t2"))

    # Assert
    position = portfolio.position(SYMBOL)
    assert not replay
    assert position.quantity == Decimal("0.10")
    assert position.cost_basis_quote == Decimal("3000.70")  # 1200 + 1500.5 + 300.2
    assert position.average_entry_price == Decimal("30007")


def test_apply_when_selling_everything_releases_exact_cost_basis() -> None:
    # Arrange: an average entry that is not a finite decimal
    portfolio = _portfolio()
    portfolio.apply(_fill(Side.BUY, "1", "100", trade_id="a"))
    portfolio.apply(_fill(Side.BUY, "2", "101", trade_id="b"))
    portfolio.apply(_fill(Side.SELL, "1", "102", trade_id="c"))

    # Act
    portfolio.apply(_fill(Side.SELL, "2", "99", trade_id="d"))

    # Assert: 302 spent, 300 received
    position = portfolio.position(SYMBOL)
    assert position.quantity == 0
    assert position.cost_basis_quote == 0
    assert position.average_entry_price is None
    assert position.realized_pnl_quote == Decimal(-2)
    assert not position.is_open
    assert portfolio.open_positions == {}


def test_apply_when_fee_in_third_asset_tracks_it_outside_quote() -> None:
    # Arrange
    portfolio = Portfolio(
        quote_asset="USDT",
        markets=[btc_rules()],
        cash={"USDT": Decimal(1000), "BNB": Decimal(1)},
    )

    # Act
    portfolio.apply(_fill(Side.BUY, "0.01", "30000", fee="0.0003", fee_asset="BNB"))

    # Assert
    assert portfolio.balance("BNB") == Decimal("0.9997")
    assert portfolio.other_fees == {"BNB": Decimal("0.0003")}
    assert portfolio.fees_quote == 0
    assert portfolio.position(SYMBOL).quantity == Decimal("0.01")


def test_apply_when_sell_exceeds_position_raises_and_changes_nothing() -> None:
    # Arrange
    portfolio = _portfolio()
    portfolio.apply(_fill(Side.BUY, "0.1", "30000", trade_id="a"))
    before = (portfolio.position(SYMBOL), portfolio.balances)

    # Act / Assert
    with pytest.raises(ValueError, match=r"sells 0\.2 BTC of BTC/USDT but the position holds 0\.1"):
        portfolio.apply(_fill(Side.SELL, "0.2", "30000", trade_id="b"))
    assert (portfolio.position(SYMBOL), portfolio.balances) == before
    assert portfolio.apply(_fill(Side.SELL, "0.1", "30000", trade_id="b"))  # not marked seen


def test_apply_when_symbol_unknown_raises() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="unknown symbol 'SOL/USDT'"):
        _portfolio().apply(_fill(Side.BUY, "1", "10", symbol="SOL/USDT"))


def test_equity_when_marked_adds_positions_at_mark() -> None:
    # Arrange
    portfolio = _portfolio()
    portfolio.apply(_fill(Side.BUY, "0.1", "30000", fee="0.0001", trade_id="a"))
    portfolio.apply(_fill(Side.BUY, "2", "2000", fee="0.002", trade_id="b", symbol="ETH/USDT"))

    # Act
    marks = {SYMBOL: Decimal(31000), "ETH/USDT": Decimal(1900)}
    equity = portfolio.equity(marks)
    unrealized = portfolio.unrealized_pnl(marks)

    # Assert
    assert equity == Decimal(3000) + Decimal("0.0999") * 31000 + Decimal("1.998") * 1900
    assert unrealized == Decimal("0.0999") * 1000 + Decimal("1.998") * -100
    with pytest.raises(ValueError, match="no mark price for open position ETH/USDT"):
        portfolio.equity({SYMBOL: Decimal(1)})


def test_init_when_restored_positions_given_continues_from_them() -> None:
    # Arrange
    restored = Position(SYMBOL, Decimal("0.5"), Decimal(15000), Decimal(12), Decimal(3))

    # Act
    portfolio = Portfolio(
        quote_asset="USDT", markets=[btc_rules()], cash={"USDT": Decimal(5)}, positions=[restored]
    )
    portfolio.apply(_fill(Side.SELL, "0.5", "31000"))

    # Assert
    position = portfolio.position(SYMBOL)
    assert position.realized_pnl_quote == Decimal(12) + Decimal(500)
    assert portfolio.realized_pnl_quote == Decimal(512)
    assert portfolio.fees_quote == Decimal(3)
    assert portfolio.balances == {"USDT": Decimal(15505), "BTC": Decimal(0)}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cash": {"BTC": Decimal(1)}}, "cash\\['BTC'\\]: BTC is the base asset of BTC/USDT"),
        ({"markets": [btc_rules(quote_asset="BUSD")]}, "quoted in BUSD, expected quote_asset USDT"),
        ({"positions": [Position("XRP/USDT")]}, "position symbol 'XRP/USDT' is not among"),
    ],
)
def test_init_when_inconsistent_raises(kwargs: dict[str, object], match: str) -> None:
    # Arrange
    arguments: dict[str, object] = {"quote_asset": "USDT", "markets": [btc_rules()]}
    arguments.update(kwargs)

    # Act / Assert
    with pytest.raises(ValueError, match=match):
        Portfolio(**arguments)  # type: ignore[arg-type]


# --------------------------------------------------------------------- property: identity
_STEP = Decimal("0.00001")  # quantities in 1e-5 base
_TICK = Decimal("0.01")  # prices in cents
_BPS = Decimal(10_000)

_fills = st.lists(
    st.tuples(
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(min_value=1, max_value=5_000_000),  # quantity in steps: up to 50
        st.integers(min_value=1, max_value=10_000_000),  # price in cents: up to 100k
        st.integers(min_value=0, max_value=100),  # fee in bps
        st.booleans(),  # True: fee in the received asset (Binance); False: the other one
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(fills=_fills, mark_cents=st.integers(min_value=1, max_value=10_000_000))
def test_apply_when_any_fill_sequence_equity_change_is_pnl_minus_fees(
    fills: list[tuple[Side, int, int, int, bool]], mark_cents: int
) -> None:
    """Equity change == realized + unrealized - fees, exactly, after every fill.

    Fees are valued in quote at their own fill's price: a base fee ``f`` costs ``f * price``.
    """
    # Arrange
    start = Decimal(1_000_000)
    portfolio = Portfolio(quote_asset="USDT", markets=[btc_rules()], cash={"USDT": start})
    mark = mark_cents * _TICK

    for n, (side, steps, cents, fee_bps, received_asset) in enumerate(fills):
        held = portfolio.position(SYMBOL).quantity
        quantity = steps * _STEP
        price = cents * _TICK
        rate = fee_bps / _BPS
        fee_in_base = received_asset if side is Side.BUY else not received_asset
        if side is Side.SELL:
            # A base fee leaves the position too: sell at most what is held.
            quantity = min(quantity, held / (1 + rate) if fee_in_base else held)
            quantity = (quantity / _STEP).to_integral_value(rounding="ROUND_FLOOR") * _STEP
            if quantity == 0:
                continue
        fee = quantity * rate if fee_in_base else quantity * price * rate
        fill = Fill(
            trade_id=f"t{n}",
            client_order_id="run1-1",
            symbol=SYMBOL,
            side=side,
            price=price,
            quantity=quantity,
            fee=fee,
            fee_asset="BTC" if fee_in_base else "USDT",
            executed_at=T0 + timedelta(seconds=n),
        )

        # Act
        portfolio.apply(fill)

        # Assert
        marks = {SYMBOL: mark}
        change = portfolio.equity(marks) - start
        pnl = portfolio.realized_pnl_quote + portfolio.unrealized_pnl(marks)
        assert change == pnl - portfolio.fees_quote
        assert portfolio.position(SYMBOL).quantity >= 0
