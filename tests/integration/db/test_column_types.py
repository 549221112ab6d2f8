"""Money stays exact and times stay aware UTC through a real round trip on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from imb_bot.config import TradingMode
from imb_bot.core.models import Balance
from imb_bot.db import InvalidRecordError, Store
from imb_bot.db.testing import make_order
from imb_bot.db.types import format_decimal


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("0.000000000000000001", "0.000000000000000001"),  # 1e-18: the smallest step
        ("999999999999999999.999999999999999999", "999999999999999999.999999999999999999"),
        ("12345.678900000000000000", "12345.6789"),  # trailing zeros dropped
        ("0.0000000000000000005", "0.000000000000000001"),  # half rounds away from zero
        ("0.00000000000000000049", "0"),
        ("-42.5", "-42.5"),
    ],
)
def test_money_when_round_tripped_is_exact_to_18_places(
    store: Store, written: str, read: str
) -> None:
    # Act
    store.save_paper_balances([Balance("USDT", Decimal(written), Decimal(0))])

    # Assert
    stored = store.load_paper_balances()["USDT"].free
    assert stored == Decimal(read)
    assert format_decimal(stored) == read


def test_money_when_18_integer_digits_raises_invalid_record(store: Store) -> None:
    with pytest.raises(InvalidRecordError, match=r"exceeds NUMERIC\(36, 18\)"):
        store.save_paper_balances([Balance("USDT", Decimal(10) ** 18, Decimal(0))])


def test_money_when_not_finite_raises_invalid_record(store: Store) -> None:
    with pytest.raises(InvalidRecordError, match="finite"):
        store.save_paper_balances([Balance("USDT", Decimal("NaN"), Decimal(0))])


def test_timestamp_when_written_with_offset_reads_back_same_instant_in_utc(store: Store) -> None:
    # Arrange
    local = datetime(2024, 5, 1, 14, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))

    # Act
    store.record_intent(make_order(created_at=local), TradingMode.PAPER)

    # Assert
    order = store.load_order(make_order().client_order_id)
    assert order is not None
    assert order.created_at == local
    assert order.created_at.tzinfo is not None
    assert order.created_at.utcoffset() == timedelta(0)
    assert order.created_at.hour == 12


def test_timestamp_when_naive_raises_invalid_record(store: Store) -> None:
    naive = datetime(2024, 5, 1, 12, 0)
    with pytest.raises(InvalidRecordError, match="naive"):
        store.record_intent(make_order(created_at=naive), TradingMode.PAPER)
