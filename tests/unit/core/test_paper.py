"""Paper fill model: slippage, Binance fee assets, book walking, resting limit orders."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from imb_bot.core.models import (
    Candle,
    Fill,
    Order,
    OrderBook,
    OrderStatus,
    OrderType,
    Side,
    Ticker,
    TimeInForce,
)
from imb_bot.core.paper import (
    PaperFillConfig,
    fill_market_order,
    fill_market_order_on_book,
    match_limit_orders,
    match_limit_orders_on_candle,
)
from imb_bot.core.testing import T0, btc_rules

RULES = btc_rules()
CONFIG = PaperFillConfig(slippage_bps=Decimal(5), fee_bps=Decimal(10))
TICKER = Ticker(
    symbol="BTC/USDT", bid=Decimal(29990), ask=Decimal(30000), last=Decimal(29995), time=T0
)


def _market(side: Side, quantity: str = "0.01", cid: str = "run1-1") -> Order:
    return Order(cid, "BTC/USDT", side, OrderType.MARKET, Decimal(quantity), T0)


def _limit(side: Side, price: str, quantity: str = "0.01", cid: str = "run1-2") -> Order:
    return Order(
        cid,
        "BTC/USDT",
        side,
        OrderType.LIMIT,
        Decimal(quantity),
        T0,
        price=Decimal(price),
        time_in_force=TimeInForce.GTC,
        status=OrderStatus.OPEN,
    )


def test_fill_market_when_buy_pays_ask_plus_slippage_and_fee_in_base() -> None:
    # Act
    fills = fill_market_order(_market(Side.BUY), TICKER, rules=RULES, config=CONFIG)

    # Assert: 30000 x 1.0005; fee 0.01 x 0.001 BTC
    assert fills == [
        Fill(
            trade_id="run1-1-1",
            client_order_id="run1-1",
            symbol="BTC/USDT",
            side=Side.BUY,
            price=Decimal("30015.0000"),
            quantity=Decimal("0.01"),
            fee=Decimal("0.00001000"),
            fee_asset="BTC",
            executed_at=T0,
            quote_quantity=Decimal("300.150000"),
            is_maker=False,
        )
    ]


def test_fill_market_when_sell_gets_bid_minus_slippage_and_fee_in_quote() -> None:
    # Act
    (fill,) = fill_market_order(_market(Side.SELL), TICKER, rules=RULES, config=CONFIG)

    # Assert: 29990 x 0.9995 = 29975.005; fee = 0.01 x 29975.005 x 0.001
    assert fill.price == Decimal("29975.005")
    assert fill.quote_quantity == Decimal("299.75005")
    assert fill.fee == Decimal("0.29975005")
    assert fill.fee_asset == "USDT"


def test_fill_market_when_partially_filled_fills_the_rest() -> None:
    # Arrange
    order = replace(_market(Side.BUY, "0.03"), filled_quantity=Decimal("0.01"))

    # Act
    (fill,) = fill_market_order(order, TICKER, rules=RULES, config=CONFIG)

    # Assert
    assert fill.quantity == Decimal("0.02")


def test_fill_market_when_quote_sized_buy_buys_floor_of_quote_over_price() -> None:
    # Arrange
    order = replace(_market(Side.BUY, "0"), quote_quantity=Decimal(100))

    # Act
    (fill,) = fill_market_order(order, TICKER, rules=RULES, config=CONFIG)

    # Assert: 100 / 30015 = 0.0033316... → 0.00333
    assert fill.quantity == Decimal("0.00333")


def test_fill_market_when_no_slippage_and_no_fee_fills_at_touch() -> None:
    # Arrange
    config = PaperFillConfig(slippage_bps=Decimal(0), fee_bps=Decimal(0))

    # Act
    (fill,) = fill_market_order(_market(Side.BUY), TICKER, rules=RULES, config=config)

    # Assert
    assert (fill.price, fill.fee) == (Decimal(30000), Decimal(0))


def test_fill_market_when_same_inputs_gives_same_fills() -> None:
    # Act
    first = fill_market_order(_market(Side.BUY), TICKER, rules=RULES, config=CONFIG)
    second = fill_market_order(_market(Side.BUY), TICKER, rules=RULES, config=CONFIG)

    # Assert
    assert first == second


def test_fill_market_when_order_is_limit_or_other_symbol_raises() -> None:
    # Act / Assert
    with pytest.raises(ValueError, match="expected a MARKET order, got LIMIT"):
        fill_market_order(_limit(Side.BUY, "1"), TICKER, rules=RULES, config=CONFIG)
    with pytest.raises(ValueError, match="must be the same symbol"):
        fill_market_order(
            _market(Side.BUY), replace(TICKER, symbol="ETH/USDT"), rules=RULES, config=CONFIG
        )


def test_fill_on_book_when_order_spans_levels_fills_each_level() -> None:
    # Arrange
    book = OrderBook(
        symbol="BTC/USDT",
        bids=((Decimal(29990), Decimal(1)),),
        asks=((Decimal(30000), Decimal("0.005")), (Decimal(30010), Decimal("0.01"))),
    )
    config = PaperFillConfig(slippage_bps=Decimal(0), fee_bps=Decimal(10))

    # Act
    fills = fill_market_order_on_book(
        _market(Side.BUY, "0.012"), book, rules=RULES, config=config, time=T0
    )

    # Assert
    assert [(f.trade_id, f.price, f.quantity, f.fee) for f in fills] == [
        ("run1-1-1", Decimal(30000), Decimal("0.005"), Decimal("0.000005")),
        ("run1-1-2", Decimal(30010), Decimal("0.007"), Decimal("0.000007")),
    ]


def test_fill_on_book_when_depth_is_short_fills_what_is_there() -> None:
    # Arrange
    book = OrderBook(symbol="BTC/USDT", bids=((Decimal(29990), Decimal("0.004")),), asks=())

    # Act
    fills = fill_market_order_on_book(
        _market(Side.SELL, "0.01"), book, rules=RULES, config=CONFIG, time=T0
    )

    # Assert
    assert [f.quantity for f in fills] == [Decimal("0.004")]
    assert fills[0].price == Decimal("29975.005")


def test_fill_on_book_when_quote_sized_buy_spends_the_budget() -> None:
    # Arrange
    book = OrderBook(
        symbol="BTC/USDT",
        bids=(),
        asks=((Decimal(100), Decimal(1)), (Decimal(200), Decimal(10))),
    )
    order = replace(_market(Side.BUY, "0"), quote_quantity=Decimal(300))
    config = PaperFillConfig(slippage_bps=Decimal(0), fee_bps=Decimal(0))

    # Act
    fills = fill_market_order_on_book(order, book, rules=RULES, config=config, time=T0)

    # Assert: 1 at 100, then 200 / 200 = 1 at 200
    assert [(f.price, f.quantity) for f in fills] == [
        (Decimal(100), Decimal(1)),
        (Decimal(200), Decimal("1.00000")),
    ]


def test_match_limit_when_ticker_crosses_fills_at_limit_as_maker() -> None:
    # Arrange
    buy = _limit(Side.BUY, "30000", cid="b")
    sell = _limit(Side.SELL, "29990", cid="s")
    resting_buy = _limit(Side.BUY, "29999.99", cid="rb")
    resting_sell = _limit(Side.SELL, "29990.01", cid="rs")

    # Act
    fills = match_limit_orders(
        [buy, sell, resting_buy, resting_sell], TICKER, rules=RULES, config=CONFIG
    )

    # Assert
    assert [(f.client_order_id, f.price, f.is_maker) for f in fills] == [
        ("b", Decimal(30000), True),
        ("s", Decimal(29990), True),
    ]
    assert fills[0].fee == Decimal("0.00001000") and fills[0].fee_asset == "BTC"
    assert fills[1].fee == Decimal("0.29990000") and fills[1].fee_asset == "USDT"


def test_match_limit_when_order_final_other_symbol_or_market_ignores_it() -> None:
    # Arrange
    orders = [
        replace(_limit(Side.BUY, "40000"), status=OrderStatus.CANCELED),
        replace(_limit(Side.BUY, "40000"), symbol="ETH/USDT"),
        replace(_limit(Side.BUY, "40000"), filled_quantity=Decimal("0.01")),
        _market(Side.BUY),
    ]

    # Act
    fills = match_limit_orders(orders, TICKER, rules=RULES, config=CONFIG)

    # Assert
    assert fills == []


def test_match_limit_when_partially_filled_fills_remaining() -> None:
    # Arrange
    order = replace(
        _limit(Side.BUY, "30000", quantity="0.05"),
        filled_quantity=Decimal("0.02"),
        status=OrderStatus.PARTIALLY_FILLED,
    )

    # Act
    (fill,) = match_limit_orders([order], TICKER, rules=RULES, config=CONFIG)

    # Assert
    assert fill.quantity == Decimal("0.03")


def test_match_on_candle_when_traded_through_fills_touch_does_not() -> None:
    # Arrange
    candle = Candle(T0, Decimal(100), Decimal(110), Decimal(90), Decimal(105), volume=Decimal(1))
    orders = [
        _limit(Side.BUY, "90", cid="buy_touch"),
        _limit(Side.BUY, "90.01", cid="buy_through"),
        _limit(Side.SELL, "110", cid="sell_touch"),
        _limit(Side.SELL, "109.99", cid="sell_through"),
    ]
    closed_at = T0 + timedelta(minutes=1)

    # Act
    fills = match_limit_orders_on_candle(orders, candle, rules=RULES, config=CONFIG, time=closed_at)

    # Assert
    assert [(f.client_order_id, f.price) for f in fills] == [
        ("buy_through", Decimal("90.01")),
        ("sell_through", Decimal("109.99")),
    ]
    assert all(f.executed_at == closed_at for f in fills)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"slippage_bps": Decimal(-1)}, "slippage_bps must be a Decimal in \\[0, 10000\\) bps"),
        ({"fee_bps": 10}, "fee_bps must be a Decimal in \\[0, 10000\\) bps, got 10"),
    ],
)
def test_config_when_invalid_raises_naming_field_expected_and_actual(
    kwargs: dict[str, object], match: str
) -> None:
    # Act / Assert
    with pytest.raises(ValueError, match=match):
        PaperFillConfig(**kwargs)  # type: ignore[arg-type]
