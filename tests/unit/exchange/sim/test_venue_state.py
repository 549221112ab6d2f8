import json
from decimal import Decimal
from pathlib import Path

from imb_bot.exchange.sim.config import SimConfig
from imb_bot.exchange.sim.matching import OrderRequest
from imb_bot.exchange.sim.persistence import load_state, save_state
from imb_bot.exchange.sim.venue import Credentials, SimExchange

CREDS = Credentials("key", "secret")
WALL = 1_700_000_013_000  # 33 s into a minute


class FakeWall:
    """A settable wall clock."""

    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def _exchange(state: Path | None, wall: FakeWall, **config: object) -> SimExchange:
    return SimExchange(SimConfig(state=state, **config), CREDS, wall=wall)


def test_save_state_when_written_replaces_atomically_and_loads_back(tmp_path: Path) -> None:
    path = tmp_path / "state.json"

    save_state(path, {"a": 1})
    save_state(path, {"a": 2})

    assert load_state(path) == {"version": 1, "a": 2}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_exchange_when_speed_zero_starts_market_clock_at_the_minute(tmp_path: Path) -> None:
    ex = _exchange(None, FakeWall(WALL), speed=0)

    assert ex.clock.now_ms() == WALL - 33_000
    assert ex.feed.symbols["BTCUSDT"].series.start_ms == WALL - 33_000 - 4320 * 60_000


def test_exchange_when_speed_one_market_clock_follows_wall_clock() -> None:
    wall = FakeWall(WALL)
    ex = _exchange(None, wall, speed=1)
    wall.now += 5_000

    assert ex.clock.now_ms() == wall.now


def test_exchange_when_restarted_from_state_restores_orders_balances_ids_and_prices(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.json"
    wall = FakeWall(WALL)
    first = _exchange(path, wall, speed=0)
    account = first.accounts["key"]
    first.engine.place(
        account,
        OrderRequest(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.01")),
        first.sync(),
    )
    first.persist()
    first.advance_clock(90)
    price = first.feed.price("BTCUSDT", first.sync())
    snapshot = first.snapshot()

    wall.now += 3_600_000  # restarted an hour later
    second = _exchange(path, wall, speed=0, seed=999, history_minutes=100)

    assert second.snapshot()["accounts"] == snapshot["accounts"]
    assert second.clock.now_ms() == first.clock.now_ms()
    assert second.feed.price("BTCUSDT", second.sync()) == price
    assert second.engine.next_order_id["BTCUSDT"] == 2


def test_snapshot_when_serialised_uses_decimal_strings_and_documented_keys() -> None:
    ex = _exchange(None, FakeWall(WALL), speed=0)

    data = json.loads(json.dumps(ex.snapshot()))

    assert set(data) == {"market_time_ms", "wall_time_ms", "speed", "prices", "accounts"}
    account = data["accounts"]["key"]
    assert set(account) == {"balances", "orders", "trades"}
    assert account["balances"]["USDT"] == {"free": "10000.00000000", "locked": "0.00000000"}


def test_reset_when_orders_exist_restores_initial_balances_and_keeps_ids_growing() -> None:
    ex = _exchange(None, FakeWall(WALL), speed=0)
    request = OrderRequest(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.01"))
    ex.engine.place(ex.accounts["key"], request, ex.sync())

    ex.reset()
    order = ex.engine.place(ex.accounts["key"], request, ex.sync())

    assert order.order_id == 2
    assert len(ex.snapshot()["accounts"]["key"]["orders"]) == 1


def test_exchange_when_speed_sixty_serves_one_new_minute_candle_per_wall_second() -> None:
    wall = FakeWall(WALL)
    ex = _exchange(None, wall, speed=60)
    klines = ex.feed.symbols["BTCUSDT"].klines
    before = klines.rows("1m", ex.sync(), None, None, 1)[0]

    wall.now += 1_000
    after = klines.rows("1m", ex.sync(), None, None, 1)[0]

    assert ex.clock.now_ms() == WALL + 60_000
    assert json.loads(after)[0] == json.loads(before)[0] + 60_000


def test_advance_clock_when_speed_zero_moves_market_time_only_by_the_request() -> None:
    wall = FakeWall(WALL)
    ex = _exchange(None, wall, speed=0)
    start = ex.clock.now_ms()

    wall.now += 10_000
    ex.advance_clock(2.5)

    assert ex.clock.now_ms() == start + 2_500
