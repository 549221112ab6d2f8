from decimal import Decimal
from typing import Protocol

import pytest

from imb_bot.exchange.sim.errors import BinanceError
from imb_bot.exchange.sim.ledger import Account
from imb_bot.exchange.sim.matching import MatchingEngine, OrderRequest

D = Decimal
T0 = 1_700_000_000_000


class ScriptedFeed(Protocol):
    """The ``feed`` fixture (conftest): the price of a symbol can be moved at a time."""

    def move(self, symbol: str, t_ms: int, price: Decimal) -> None: ...


def _market(side: str, qty: str | None = None, quote: str | None = None) -> OrderRequest:
    return OrderRequest(
        symbol="BTCUSDT",
        side=side,
        type="MARKET",
        quantity=None if qty is None else D(qty),
        quote_order_qty=None if quote is None else D(quote),
    )


def _limit(side: str, qty: str, price: str, tif: str = "GTC", **kw: object) -> OrderRequest:
    return OrderRequest(
        symbol="BTCUSDT",
        side=side,
        type=str(kw.get("type", "LIMIT")),
        time_in_force=tif,
        quantity=D(qty),
        price=D(price),
        client_order_id=kw.get("client_order_id"),  # type: ignore[arg-type]
    )


def _reject(engine: MatchingEngine, account: Account, req: OrderRequest) -> BinanceError:
    with pytest.raises(BinanceError) as info:
        engine.place(account, req, T0)
    return info.value


def test_place_when_market_buy_fits_best_level_fills_at_best_ask_with_fee_in_base(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _market("BUY", "0.1"), T0)

    assert order.status == "FILLED"
    assert [(t.price, t.qty) for t in order.fills] == [(D("60006.00"), D("0.1"))]
    assert order.fills[0].commission == D("0.0001")
    assert order.fills[0].commission_asset == "BTC"
    assert account.balance("BTC").free == D("1.0999")
    assert account.balance("USDT").free == D(100000) - D("6000.600")


def test_place_when_market_buy_exceeds_best_level_walks_the_book(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _market("BUY", "0.8"), T0)

    assert [(t.price, t.qty) for t in order.fills] == [
        (D("60006.00"), D("0.5")),
        (D("60012.00"), D("0.3")),
    ]
    assert order.executed_qty == D("0.8")
    assert order.cummulative_quote_qty == D("60006") * D("0.5") + D("60012") * D("0.3")


def test_place_when_quote_order_qty_buy_spends_at_most_that_on_the_step_grid(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _market("BUY", quote="100"), T0)

    assert order.status == "FILLED"
    assert order.orig_quote_order_qty == D(100)
    assert order.executed_qty == D("0.00166")  # 100 / 60006 truncated to 0.00001
    assert order.cummulative_quote_qty <= D(100)
    assert order.orig_qty == order.executed_qty


def test_place_when_market_sell_fills_at_best_bid_with_fee_in_quote(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _market("SELL", "0.5"), T0)

    trade = order.fills[0]
    assert (trade.price, trade.qty) == (D("59994.00"), D("0.5"))
    assert trade.commission == D("29.997")
    assert account.balance("USDT").free == D(100000) + D("29997") - D("29.997")
    assert account.balance("BTC").free == D("0.5")


def test_place_when_limit_buy_below_ask_rests_and_locks_price_times_qty(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _limit("BUY", "0.01", "59000.00"), T0)

    assert order.status == "NEW"
    assert account.balance("USDT").locked == D("590.0000")
    assert account.balance("USDT").free == D(100000) - D("590")
    assert ("BTCUSDT", order.order_id) in account.open_orders


def test_place_when_limit_buy_crosses_book_fills_at_level_prices_and_refunds_difference(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _limit("BUY", "0.1", "60100.00"), T0)

    assert order.status == "FILLED"
    assert order.fills[0].price == D("60006.00")
    assert account.balance("USDT").locked == 0
    assert account.balance("USDT").free == D(100000) - D("6000.600")


def test_place_when_gtc_limit_partly_crosses_rests_remainder_as_partially_filled(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _limit("BUY", "0.7", "60006.00"), T0)

    assert order.status == "PARTIALLY_FILLED"
    assert order.executed_qty == D("0.5")
    assert account.balance("USDT").locked == D("60006.00") * D("0.2")


def test_place_when_ioc_partly_fillable_expires_remainder_and_unlocks(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _limit("BUY", "0.7", "60006.00", "IOC"), T0)

    assert order.status == "EXPIRED"
    assert order.executed_qty == D("0.5")
    assert account.balance("USDT").locked == 0
    assert not account.open_orders


def test_place_when_fok_not_fully_fillable_expires_without_fills(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _limit("BUY", "0.7", "60006.00", "FOK"), T0)

    assert order.status == "EXPIRED"
    assert order.fills == []
    assert account.balance("USDT").free == D(100000)
    assert account.balance("USDT").locked == 0


def test_place_when_fok_fully_fillable_fills(engine: MatchingEngine, account: Account) -> None:
    order = engine.place(account, _limit("BUY", "0.7", "60012.00", "FOK"), T0)

    assert order.status == "FILLED"
    assert len(order.fills) == 2


def test_place_when_limit_maker_would_take_rejects_with_2010(
    engine: MatchingEngine, account: Account
) -> None:
    error = _reject(engine, account, _limit("BUY", "0.01", "60006.00", type="LIMIT_MAKER"))

    assert (error.code, error.msg) == (-2010, "Order would immediately match and take.")


def test_place_when_quote_balance_too_small_rejects_insufficient_balance(
    engine: MatchingEngine, account: Account
) -> None:
    error = _reject(engine, account, _limit("BUY", "2", "59000.00"))

    assert (error.status, error.code) == (400, -2010)
    assert error.msg == "Account has insufficient balance for requested action."
    assert account.balance("USDT").free == D(100000)


def test_place_when_market_sell_more_than_free_base_rejects_insufficient_balance(
    engine: MatchingEngine, account: Account
) -> None:
    error = _reject(engine, account, _market("SELL", "1.5"))

    assert error.msg == "Account has insufficient balance for requested action."


@pytest.mark.parametrize(
    ("request_", "filter_type"),
    [
        (_limit("BUY", "0.01", "59000.005"), "PRICE_FILTER"),
        (_limit("BUY", "0.01", "2000000.00"), "PRICE_FILTER"),
        (_limit("BUY", "0.000015", "59000.00"), "LOT_SIZE"),
        (_limit("BUY", "0.000001", "59000.00"), "LOT_SIZE"),
        (_limit("BUY", "0.00001", "59000.00"), "NOTIONAL"),
        (_market("BUY", "0.00005"), "NOTIONAL"),
        (_market("SELL", "101"), "MARKET_LOT_SIZE"),
        (_market("BUY", quote="4.99"), "NOTIONAL"),
    ],
)
def test_place_when_a_filter_fails_rejects_with_binance_filter_message(
    engine: MatchingEngine, account: Account, request_: OrderRequest, filter_type: str
) -> None:
    error = _reject(engine, account, request_)

    assert (error.status, error.code, error.msg) == (400, -1013, f"Filter failure: {filter_type}")


def test_place_when_client_id_used_by_open_order_rejects_duplicate(
    engine: MatchingEngine, account: Account
) -> None:
    engine.place(account, _limit("BUY", "0.01", "59000.00", client_order_id="mine-1"), T0)

    error = _reject(engine, account, _limit("BUY", "0.01", "58000.00", client_order_id="mine-1"))

    assert (error.code, error.msg) == (-2010, "Duplicate order sent.")


def test_place_when_client_id_belongs_to_closed_order_accepts_and_lookup_finds_newest(
    engine: MatchingEngine, account: Account
) -> None:
    first = engine.place(account, _limit("BUY", "0.01", "60100.00", client_order_id="again"), T0)
    second = engine.place(account, _limit("BUY", "0.01", "59000.00", client_order_id="again"), T0)

    assert first.status == "FILLED"
    assert account.find_order("BTCUSDT", None, "again") is second


def test_place_when_no_client_id_generates_binance_like_id(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _market("BUY", "0.01"), T0)

    assert len(order.client_order_id) == 22
    assert order.client_order_id.replace("-", "").replace("_", "").isalnum()


def test_cancel_when_order_open_releases_lock_and_marks_canceled(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _limit("SELL", "0.3", "61000.00"), T0)
    assert account.balance("BTC").locked == D("0.3")

    canceled = engine.cancel(account, "BTCUSDT", order.order_id, None, T0 + 5)

    assert canceled.status == "CANCELED"
    assert canceled.update_time == T0 + 5
    assert account.balance("BTC").locked == 0
    assert account.balance("BTC").free == D(1)


def test_cancel_when_order_already_filled_rejects_unknown_order(
    engine: MatchingEngine, account: Account
) -> None:
    order = engine.place(account, _market("BUY", "0.01"), T0)

    with pytest.raises(BinanceError) as info:
        engine.cancel(account, "BTCUSDT", order.order_id, None, T0)

    assert (info.value.code, info.value.msg) == (-2011, "Unknown order sent.")


def test_advance_when_price_falls_to_resting_buy_fills_it_at_limit_as_maker(
    engine: MatchingEngine, account: Account, feed: ScriptedFeed
) -> None:
    order = engine.place(account, _limit("BUY", "0.01", "59000.00"), T0)
    feed.move("BTCUSDT", T0 + 30_000, D("58990.00"))

    filled = engine.advance([account], T0, T0 + 60_000)

    assert filled
    assert order.status == "FILLED"
    trade = order.fills[0]
    assert (trade.price, trade.is_maker, trade.time) == (D("59000.00"), True, T0 + 30_000)
    assert account.balance("USDT").locked == 0
    assert account.balance("BTC").free == D("1.01") - D("0.00001")
    assert not account.open_orders


def test_advance_when_price_stays_above_resting_buy_leaves_it_open(
    engine: MatchingEngine, account: Account, feed: ScriptedFeed
) -> None:
    order = engine.place(account, _limit("BUY", "0.01", "59000.00"), T0)
    feed.move("BTCUSDT", T0 + 30_000, D("59500.00"))

    assert not engine.advance([account], T0, T0 + 60_000)
    assert order.status == "NEW"


def test_place_when_symbol_unknown_rejects_invalid_symbol(
    engine: MatchingEngine, account: Account
) -> None:
    error = _reject(engine, account, OrderRequest(symbol="FOOBAR", side="BUY", type="MARKET"))

    assert (error.code, error.msg) == (-1121, "Invalid symbol.")
