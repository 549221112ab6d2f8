"""Raw Binance payloads → domain models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from imb_bot.core.models import Order, OrderStatus, OrderType, Side, TimeInForce
from imb_bot.exchange.parsing import (
    balances_from_account,
    fills_from_order_response,
    fills_from_trades,
    kline_from_raw,
    order_book_from_depth,
    order_from_response,
    ticker_from_24hr,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)

FULL = {
    "symbol": "BTCUSDT",
    "orderId": 28,
    "orderListId": -1,
    "clientOrderId": "bot-1",
    "transactTime": T0_MS,
    "price": "0.00000000",
    "origQty": "0.00200000",
    "executedQty": "0.00200000",
    "origQuoteOrderQty": "0.00000000",
    "cummulativeQuoteQty": "80.01000000",
    "status": "FILLED",
    "timeInForce": "GTC",
    "type": "MARKET",
    "side": "BUY",
    "fills": [
        {
            "price": "40000.00",
            "qty": "0.001",
            "commission": "0.000001",
            "commissionAsset": "BTC",
            "tradeId": 56,
        },
        {
            "price": "40010.00",
            "qty": "0.001",
            "commission": "0.000001",
            "commissionAsset": "BTC",
            "tradeId": 57,
        },
    ],
}


def _order() -> Order:
    return Order(
        client_order_id="bot-1",
        symbol="BTC/USDT",
        side=Side.BUY,
        type=OrderType.MARKET,
        quantity=Decimal("0.002"),
        created_at=T0,
        reason="rsi<30",
        strategy="rsi_ema",
    )


def test_kline_when_raw_row_parses_strings_exactly_and_utc_time() -> None:
    row = [T0_MS, "42000.10", "42100.00", "41900.5", "42050.00", "12.3456789", T0_MS + 59_999]

    kline = kline_from_raw(row)

    assert kline.candle.time == T0
    assert kline.candle.open == Decimal("42000.10")
    assert kline.candle.volume == Decimal("12.3456789")
    assert kline.close_time_ms == T0_MS + 59_999


def test_ticker_when_24hr_object_parses_bid_ask_last() -> None:
    raw = {
        "bidPrice": "4.00000000",
        "bidQty": "100.0",
        "askPrice": "4.00000200",
        "askQty": "1.5",
        "lastPrice": "4.00000100",
        "highPrice": "100.0",
        "lowPrice": "0.1",
        "volume": "8913.3",
        "closeTime": T0_MS,
    }

    ticker = ticker_from_24hr("BNB/BTC", raw)

    assert (ticker.bid, ticker.ask, ticker.last) == (
        Decimal("4.00000000"),
        Decimal("4.00000200"),
        Decimal("4.00000100"),
    )
    assert ticker.time == T0
    assert ticker.volume_24h == Decimal("8913.3")


def test_order_book_when_depth_answer_keeps_level_order() -> None:
    raw = {"bids": [["4.0", "431.0"], ["3.9", "1"]], "asks": [["4.1", "12.0"]]}

    book = order_book_from_depth("BNB/BTC", raw)

    assert book.bids == ((Decimal("4.0"), Decimal("431.0")), (Decimal("3.9"), Decimal("1")))
    assert book.asks == ((Decimal("4.1"), Decimal("12.0")),)


def test_balances_when_zero_balances_skips_them_unless_asked() -> None:
    raw = {
        "balances": [
            {"asset": "BTC", "free": "1.5", "locked": "0.5"},
            {"asset": "XRP", "free": "0.00000000", "locked": "0.00000000"},
        ]
    }

    assert list(balances_from_account(raw, include_zero=False)) == ["BTC"]
    assert balances_from_account(raw, include_zero=False)["BTC"].total == Decimal("2.0")
    assert set(balances_from_account(raw, include_zero=True)) == {"BTC", "XRP"}


def test_order_when_full_response_with_base_keeps_bot_fields_updates_exchange_fields() -> None:
    order = order_from_response("BTC/USDT", FULL, base=_order())

    assert order.status is OrderStatus.FILLED
    assert order.exchange_order_id == "28"
    assert order.filled_quantity == Decimal("0.002")
    assert order.average_price == Decimal("40005")
    assert order.reason == "rsi<30"
    assert order.updated_at == T0


def test_fills_when_full_response_one_fill_per_entry() -> None:
    order = order_from_response("BTC/USDT", FULL, base=_order())

    fills = fills_from_order_response(order, FULL)

    assert [f.trade_id for f in fills] == ["56", "57"]
    assert fills[0].client_order_id == "bot-1"
    assert fills[0].exchange_order_id == "28"
    assert fills[1].quote_quantity == Decimal("40.01000")
    assert fills[0].fee == Decimal("0.000001")
    assert fills[0].fee_asset == "BTC"


def test_order_when_cancel_answer_uses_orig_client_order_id() -> None:
    raw = {
        "symbol": "LTCBTC",
        "origClientOrderId": "myOrder1",
        "orderId": 4,
        "clientOrderId": "cancelMyOrder1",
        "transactTime": T0_MS,
        "price": "2.00000000",
        "origQty": "1.00000000",
        "executedQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "CANCELED",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
    }

    order = order_from_response("LTC/BTC", raw)

    assert order.client_order_id == "myOrder1"
    assert order.status is OrderStatus.CANCELED
    assert order.price == Decimal("2.00000000")
    assert order.time_in_force is TimeInForce.GTC
    assert order.average_price is None


def test_order_when_status_new_maps_to_open() -> None:
    raw = {**FULL, "status": "NEW", "executedQty": "0", "cummulativeQuoteQty": "0", "time": T0_MS}

    order = order_from_response("BTC/USDT", raw)

    assert order.status is OrderStatus.OPEN
    assert order.type is OrderType.MARKET
    assert order.price is None
    assert order.created_at == T0


def test_fills_when_my_trades_maps_client_ids_and_sides() -> None:
    rows = [
        {
            "symbol": "BTCUSDT",
            "id": 1,
            "orderId": 10,
            "price": "100.0",
            "qty": "2",
            "quoteQty": "200.0",
            "commission": "0.2",
            "commissionAsset": "USDT",
            "time": T0_MS,
            "isBuyer": False,
            "isMaker": True,
        },
        {
            "symbol": "BTCUSDT",
            "id": 2,
            "orderId": 11,
            "price": "100.0",
            "qty": "1",
            "quoteQty": "100.0",
            "commission": "0",
            "commissionAsset": "BTC",
            "time": T0_MS,
            "isBuyer": True,
            "isMaker": False,
        },
    ]

    fills = fills_from_trades("BTC/USDT", rows, {"10": "ours-10"})

    assert [(f.client_order_id, f.side, f.is_maker) for f in fills] == [
        ("ours-10", Side.SELL, True),
        ("", Side.BUY, False),
    ]
    assert fills[0].quote_quantity == Decimal("200.0")
