"""Market data sources over HTTP: CSV replay (time-shifted to end at start-up), extra markets."""

from __future__ import annotations

from pathlib import Path

import ccxt
import pytest

from imb_bot.exchange.sim.testing import ccxt_client, running_simulator

MINUTE_MS = 60_000
CSV_ROWS = 30


def _write_csv(path: Path) -> list[float]:
    closes = [100.0 + i for i in range(CSV_ROWS)]
    lines = ["timestamp_ms,open,high,low,close,volume"]
    for i, close in enumerate(closes):
        ts = 1_600_000_020_000 + i * MINUTE_MS
        lines.append(f"{ts},{close - 0.5},{close + 1},{close - 1},{close},{i + 1}")
    path.write_text("\n".join(lines) + "\n")
    return closes


def test_csv_data_when_given_replays_history_then_future_as_clock_advances(
    tmp_path: Path,
) -> None:
    csv = tmp_path / "sol.csv"
    closes = _write_csv(csv)
    with running_simulator(
        data={"SOL/USDT": csv}, symbols=["BTC/USDT"], history_minutes=20, seed=3
    ) as sim:
        client = ccxt_client(sim)
        markets = client.load_markets()
        now = sim.market_time_ms()

        history = client.fetch_ohlcv("SOL/USDT", "1m", limit=21)

        assert "SOL/USDT" in markets and markets["SOL/USDT"]["limits"]["cost"]["min"] == 5
        assert [c[4] for c in history[:-1]] == closes[:20]
        assert history[-2][0] + MINUTE_MS == now - now % MINUTE_MS == history[-1][0]
        assert history[-1][1] == closes[20] - 0.5  # the forming candle is CSV row 20

        sim.advance_clock(5 * 60)
        replayed = client.fetch_ohlcv("SOL/USDT", "1m", since=history[-1][0], limit=5)

        assert [c[4] for c in replayed] == closes[20:25]


def test_symbols_when_extra_market_given_with_price_is_tradable(tmp_path: Path) -> None:
    with running_simulator(symbols=["BTC/USDT", "DOGE/USDT:0.1"], balances={"DOGE": 1000}) as sim:
        client = ccxt_client(sim)
        client.load_markets()

        order = client.create_order("DOGE/USDT", "market", "sell", 100)

        assert order["status"] == "closed"
        assert client.fetch_balance()["DOGE"]["total"] == 900
        with pytest.raises(ccxt.BadSymbol):
            client.fetch_ticker("ETH/USDT")
