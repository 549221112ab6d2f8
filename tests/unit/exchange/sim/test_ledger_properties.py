"""Property: whatever orders, cancels and price moves happen, the ledger stays exact.

For every asset: free + locked = initial + Σ fills received − Σ paid − Σ fees, nothing is
negative, and locked equals what the open orders reserve.
"""

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imb_bot.exchange.sim.book import Book, build_book
from imb_bot.exchange.sim.errors import BinanceError
from imb_bot.exchange.sim.ledger import Account
from imb_bot.exchange.sim.markets import MarketSpec, market_for
from imb_bot.exchange.sim.matching import MatchingEngine, OrderRequest

D = Decimal
INITIAL = {"USDT": D(20000), "BTC": D("0.5"), "ETH": D(5)}
START_PRICES = {"BTCUSDT": D("60000.00"), "ETHUSDT": D("3000.00"), "ETHBTC": D("0.05000")}


class _Feed:
    # book around the latest price; price moves are recorded for first_cross
    def __init__(self, specs: dict[str, MarketSpec]) -> None:
        self.specs = specs
        self.prices = dict(START_PRICES)
        self.moves: list[tuple[int, str, Decimal]] = []

    def book(self, symbol: str, now_ms: int) -> Book:
        return build_book(self.specs[symbol], self.prices[symbol])

    def first_cross(
        self, symbol: str, t0_ms: int, t1_ms: int, level: Decimal, falling: bool
    ) -> int | None:
        for t_ms, name, price in self.moves:
            reached = price <= level if falling else price >= level
            if name == symbol and t0_ms < t_ms <= t1_ms and reached:
                return t_ms
        return None


SYMBOLS = st.sampled_from(sorted(START_PRICES))
ORDER = st.fixed_dictionaries(
    {
        "kind": st.just("order"),
        "symbol": SYMBOLS,
        "side": st.sampled_from(["BUY", "SELL"]),
        "type": st.sampled_from(["MARKET", "MARKET_QUOTE", "LIMIT", "LIMIT_MAKER"]),
        "tif": st.sampled_from(["GTC", "IOC", "FOK"]),
        "size": st.integers(min_value=1, max_value=4000),  # in steps (×10 for quote orders)
        "offset_bps": st.integers(min_value=-60, max_value=60),
    }
)
CANCEL = st.fixed_dictionaries({"kind": st.just("cancel"), "pick": st.integers(0, 50)})
MOVE = st.fixed_dictionaries(
    {
        "kind": st.just("move"),
        "symbol": SYMBOLS,
        "change_bps": st.integers(min_value=-80, max_value=80),
        "ms": st.integers(min_value=1, max_value=120_000),
    }
)


def _request(step: dict[str, Any], spec: MarketSpec, price: Decimal) -> OrderRequest:
    qty = spec.step_size * step["size"] * (10 if spec.quote == "BTC" else 1)
    limit_price = (price * (1 + D(step["offset_bps"]) / 10000)).quantize(spec.tick_size)
    if step["type"] == "MARKET":
        return OrderRequest(symbol=spec.symbol, side=step["side"], type="MARKET", quantity=qty)
    if step["type"] == "MARKET_QUOTE":
        quote = (qty * price).quantize(D("0.01")) + 5
        return OrderRequest(
            symbol=spec.symbol, side=step["side"], type="MARKET", quote_order_qty=quote
        )
    return OrderRequest(
        symbol=spec.symbol,
        side=step["side"],
        type=step["type"],
        time_in_force="GTC" if step["type"] == "LIMIT_MAKER" else step["tif"],
        quantity=qty,
        price=max(limit_price, spec.tick_size),
    )


def _check_invariants(account: Account, specs: dict[str, MarketSpec]) -> None:
    expected = dict(INITIAL)
    for trades in account.trades.values():
        for trade in trades:
            spec = specs[trade.symbol]
            sign = 1 if trade.is_buyer else -1
            expected[spec.base] = expected.get(spec.base, D(0)) + sign * trade.qty
            expected[spec.quote] = expected.get(spec.quote, D(0)) - sign * trade.quote_qty
            asset = trade.commission_asset
            expected[asset] = expected.get(asset, D(0)) - trade.commission
    reserved: dict[str, Decimal] = {}
    for order in account.open_orders.values():
        spec = specs[order.symbol]
        if order.side == "BUY":
            assert order.reserved == order.price * order.remaining
            reserved[spec.quote] = reserved.get(spec.quote, D(0)) + order.reserved
        else:
            assert order.reserved == order.remaining
            reserved[spec.base] = reserved.get(spec.base, D(0)) + order.reserved
    for asset in set(expected) | set(account.balances):
        balance = account.balance(asset)
        assert balance.free >= 0, (asset, balance)
        assert balance.locked >= 0, (asset, balance)
        assert balance.free + balance.locked == expected.get(asset, D(0)), asset
        assert balance.locked == reserved.get(asset, D(0)), asset
    for order in account.orders.values():
        if not order.is_open:
            assert order.reserved == 0
        assert order.executed_qty == sum((t.qty for t in order.fills), D(0))


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(steps=st.lists(st.one_of(ORDER, ORDER, ORDER, CANCEL, MOVE, MOVE), min_size=5, max_size=60))
def test_ledger_when_random_orders_cancels_and_moves_stays_balanced(
    steps: list[dict[str, Any]],
) -> None:
    specs = {
        name: market_for(unified).with_book(spread_bps=None, book_levels=8)
        for name, unified in (
            ("BTCUSDT", "BTC/USDT"),
            ("ETHUSDT", "ETH/USDT"),
            ("ETHBTC", "ETH/BTC"),
        )
    }
    feed = _Feed(specs)
    engine = MatchingEngine(specs, feed, D("0.001"))
    account = Account(api_key="k", secret="s", initial=dict(INITIAL))
    now = 1_700_000_000_000
    for step in steps:
        if step["kind"] == "order":
            spec = specs[step["symbol"]]
            try:
                engine.place(account, _request(step, spec, feed.prices[spec.symbol]), now)
            except BinanceError as exc:
                assert exc.code in {-1013, -2010}, exc
        elif step["kind"] == "cancel":
            open_orders = sorted(account.open_orders)
            if open_orders:
                symbol, order_id = open_orders[step["pick"] % len(open_orders)]
                engine.cancel(account, symbol, order_id, None, now)
        else:
            spec = specs[step["symbol"]]
            moved = feed.prices[spec.symbol] * (1 + D(step["change_bps"]) / 10000)
            new_price = max(moved.quantize(spec.tick_size), spec.tick_size * 100)
            later = now + step["ms"]
            feed.prices[spec.symbol] = new_price
            feed.moves.append((later, spec.symbol, new_price))
            engine.advance([account], now, later)
            now = later
        _check_invariants(account, specs)
