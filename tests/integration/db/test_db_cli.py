"""``imb-bot db upgrade|downgrade|current|check`` on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from imb_bot.cli import app
from imb_bot.config import TradingMode
from imb_bot.core.models import OrderStatus, Side
from imb_bot.core.portfolio import Portfolio
from imb_bot.core.testing import btc_rules
from imb_bot.db import Store
from imb_bot.db.migrate import head_revision
from imb_bot.db.testing import T0, make_fill, make_order

BIN = Path(sys.executable).parent / "imb-bot"
runner = CliRunner()
PAPER = TradingMode.PAPER
RULES = btc_rules()


def _trade_round_trip(store: Store) -> None:
    # The order manager's sequence: intent → fills + portfolio position in one transaction.
    portfolio = Portfolio(quote_asset="USDT", markets=[RULES], cash={"USDT": Decimal(10_000)})
    legs = [
        ("buy-1", Side.BUY, [make_fill("t1", "buy-1", quantity="0.004", fee="0.000004"),
                             make_fill("t2", "buy-1", quantity="0.006", price="60100",
                                       fee="0.000006")]),
        ("sell-1", Side.SELL, [make_fill("t3", "sell-1", side=Side.SELL, quantity="0.00999",
                                         price="61000", fee="0.60939")]),
    ]  # fmt: skip
    for cid, side, fills in legs:
        store.record_intent(make_order(cid, side=side), PAPER)
        for fill in fills:
            portfolio.apply(fill)
        store.record_fills(
            cid,
            fills,
            order_status=OrderStatus.FILLED,
            filled_quantity=sum((f.quantity for f in fills), Decimal(0)),
            average_price=fills[0].price,
            position_update=portfolio.position("BTC/USDT"),
        )


def test_db_upgrade_when_run_as_console_script_migrates_to_head(tmp_path: Path) -> None:
    # Arrange
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMB_")}
    env["IMB_DATABASE_URL"] = url

    # Act
    upgraded = subprocess.run(
        [BIN, "db", "upgrade"], capture_output=True, text=True, env=env, check=False
    )
    current = runner.invoke(app, ["db", "current", "--database-url", url])

    # Assert
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"is at revision {head_revision()}" in upgraded.stdout
    assert current.output.strip() == f"{url}: {head_revision()} (head)"


def test_db_downgrade_when_base_then_current_reports_not_migrated(migrated_url: str) -> None:
    # Act
    downgraded = runner.invoke(app, ["db", "downgrade", "base", "--database-url", migrated_url])
    current = runner.invoke(app, ["db", "current", "--database-url", migrated_url])
    upgraded = runner.invoke(app, ["db", "upgrade", "--database-url", migrated_url])

    # Assert
    assert downgraded.exit_code == 0, downgraded.output
    assert "not migrated" in current.output
    assert upgraded.exit_code == 0, upgraded.output


def test_db_check_when_data_consistent_exits_0(store: Store, migrated_url: str) -> None:
    # Arrange
    _trade_round_trip(store)

    # Act
    result = runner.invoke(app, ["db", "check", "--database-url", migrated_url])

    # Assert
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_db_check_when_rows_tampered_exits_1_listing_each_mismatch(
    store: Store, migrated_url: str
) -> None:
    # Arrange: consistent trading, then three rows disagree with the trades
    _trade_round_trip(store)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE orders SET filled_quantity = '0.011' WHERE client_order_id = 'buy-1'"
            if store.engine.dialect.name == "sqlite"
            else "UPDATE orders SET filled_quantity = 0.011 WHERE client_order_id = 'buy-1'"
        )
    store.record_intent(make_order("buy-2"), PAPER)
    store.record_fills(
        "buy-2",
        [make_fill("t4", "buy-2", quantity="0.01", fee="0.00001", executed_at=T0)],
        order_status=OrderStatus.FILLED,
        filled_quantity=Decimal("0.01"),
        average_price=Decimal(60000),
        position_update=None,  # a position update that never happened
    )

    # Act
    result = runner.invoke(app, ["db", "check", "--database-url", migrated_url])

    # Assert
    assert result.exit_code == 1, result.output
    assert "ORDER_FILLED_QUANTITY" in result.output
    assert "POSITION_QUANTITY" in result.output


def test_db_check_when_database_not_migrated_exits_2(database_url: str) -> None:
    result = runner.invoke(app, ["db", "check", "--database-url", database_url])
    assert result.exit_code == 2
    assert "check failed" in result.output
