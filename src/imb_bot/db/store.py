"""The store: the crash-safe write path the order manager calls, plus start-up loads.

Every public method is one unit of work (one transaction), retried with backoff on operational /
connection errors only, and raises :class:`StoreUnavailable` when the database stays unusable. On
PostgreSQL the order writes (intent, status, fills) are each one statement instead
(:mod:`imb_bot.db.postgres_writes`): the same atomicity in one network round trip.
Every write is idempotent or writes absolute state, so a retry after an ambiguous commit (the
connection died while committing) is safe. The store records what the caller says; the order
manager owns the order state machine, and ``order_events`` keeps every transition for audit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import sessionmaker

from imb_bot.config import TradingMode
from imb_bot.core.models import Balance, Fill, Order, OrderStatus
from imb_bot.db.engine import create_store_engine
from imb_bot.db.errors import (
    DuplicateClientOrderIdError,
    InvalidRecordError,
    StoreError,
    StoreUnavailable,
    UnknownOrderError,
)
from imb_bot.db.history import HistoryQueries
from imb_bot.db.postgres_writes import PostgresWrites
from imb_bot.db.records import FillsRecorded, PositionRecord, PositionState, RiskEventRecord
from imb_bot.db.repositories import order_from_row
from imb_bot.db.uow import SqlUnitOfWork

__all__ = ["RetryPolicy", "Store"]

T = TypeVar("T")
log = logging.getLogger("imb_bot.db")

# SQLSTATE classes that mean "try again": connection exceptions, serialization failure, deadlock.
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "40001", "40P01", "57P01", "57P02", "57P03")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff for operational / connection errors."""

    attempts: int = 4  # total tries of one call, including the first
    initial_backoff_s: float = 0.05  # wait before the 2nd try
    max_backoff_s: float = 1.0  # cap of one wait
    multiplier: float = 2.0  # growth of the wait per try

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {self.attempts}")
        if self.initial_backoff_s < 0 or self.max_backoff_s < 0 or self.multiplier < 1:
            raise ValueError("backoff values must be >= 0 and multiplier >= 1")

    def backoff_s(self, retry_number: int) -> float:
        """Wait before retry ``retry_number`` (1 = the first retry)."""
        return min(
            self.max_backoff_s, self.initial_backoff_s * self.multiplier ** (retry_number - 1)
        )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def is_transient(exc: BaseException) -> bool:
    """True for errors worth retrying: lost/refused connections, locks, serialization failures."""
    if isinstance(exc, PoolTimeoutError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    return sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES)


class Store:
    """Synchronous store over one SQLAlchemy engine; safe to share between threads.

    The trading loop should use it through :class:`imb_bot.db.AsyncStore`, which runs every call
    on one dedicated thread; API handlers read through ``history`` with their own sessions.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._retry = retry or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        self.history = HistoryQueries(self._sessions)
        # On PostgreSQL the order writes take one statement each (see db/postgres_writes.py).
        self._postgres = PostgresWrites(engine) if engine.dialect.name == "postgresql" else None

    @classmethod
    def from_url(
        cls,
        url: str | URL,
        *,
        retry: RetryPolicy | None = None,
        sqlite_synchronous: str = "FULL",
        **engine_options: Any,
    ) -> Store:
        """Create a store (and its engine) for a SQLAlchemy URL; no connection is made yet."""
        engine = create_store_engine(url, sqlite_synchronous=sqlite_synchronous, **engine_options)
        return cls(engine, retry=retry)

    @property
    def engine(self) -> Engine:
        """The underlying engine."""
        return self._engine

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def unit_of_work(self, *, write: bool = True) -> SqlUnitOfWork:
        """Return a new (not yet open) unit of work."""
        return SqlUnitOfWork(self._sessions, write=write)

    # --- write path -----------------------------------------------------------------------

    def record_intent(self, order: Order, mode: TradingMode, run_id: int | None = None) -> bool:
        """Store ``order`` as an intent, committed before it is sent; return True if new.

        Recording the same intent again is a no-op returning False (safe after a crash or a retry).
        Raises DuplicateClientOrderIdError when the client order id is stored with other content.
        """
        postgres = self._postgres
        if postgres is not None and self._attempt(
            "record_intent", lambda: postgres.insert_intent(order, mode, run_id)
        ):
            return True
        # Stored already (or not PostgreSQL): the generic path compares the stored content.

        def work(uow: SqlUnitOfWork) -> bool:
            order_id = uow.orders.insert_if_absent(order, mode, run_id)
            if order_id is None:
                existing = uow.orders.get(order.client_order_id)
                if existing is None:  # deleted in between: impossible without manual edits
                    raise StoreUnavailable(f"order {order.client_order_id} vanished")
                _check_same_intent(order, mode, order_from_row(existing), existing.mode)
                return False
            uow.events.append(
                order_id,
                at=order.created_at,
                kind="INTENT",
                from_status=None,
                to_status=order.status.value,
                payload={"run_id": run_id},
            )
            uow.commit()
            return True

        return self._run("record_intent", work)

    def record_submission_result(
        self,
        client_order_id: str,
        status: OrderStatus,
        exchange_order_id: str | None = None,
        payload: Mapping[str, Any] | None = None,
        *,
        at: datetime | None = None,
    ) -> None:
        """Store the outcome of sending (or of any later status change without fills).

        ``payload`` is kept verbatim in ``order_events`` (e.g. the exchange's answer or error);
        ``exchange_order_id`` None keeps the stored one.
        """
        when = at or self._clock()
        event_payload = dict(payload or {}) | {"exchange_order_id": exchange_order_id}
        postgres = self._postgres
        if postgres is not None and self._attempt(
            "record_submission_result",
            lambda: postgres.update_status(
                client_order_id, status, exchange_order_id, event_payload, when
            ),
        ):
            return
        # Unknown order (or not PostgreSQL): the generic path writes or raises UnknownOrderError.

        def work(uow: SqlUnitOfWork) -> None:
            row = _require_order(uow, client_order_id)
            uow.orders.update_state(
                row.id, status=status, updated_at=when, exchange_order_id=exchange_order_id
            )
            uow.events.append(
                row.id,
                at=when,
                kind="STATUS",
                from_status=row.status,
                to_status=status.value,
                payload=event_payload,
            )
            uow.commit()

        self._run("record_submission_result", work)

    def record_fills(
        self,
        client_order_id: str,
        fills: Sequence[Fill],
        *,
        order_status: OrderStatus,
        filled_quantity: Decimal,
        average_price: Decimal | None,
        position_update: PositionState | None,
        paper_balances: Sequence[Balance] = (),
        at: datetime | None = None,
    ) -> FillsRecorded:
        """Store new fills, the order's state and the position in ONE transaction.

        Fills already stored (same mode, symbol and trade id) are skipped, so replaying the
        exchange's trades during reconciliation is safe; the order state and position are absolute
        values and are written as given. ``paper_balances`` (PAPER mode: the account's cash after
        these fills) are stored in the same transaction, by asset, so a crash can never leave a
        position without the cash that paid for it.
        """
        balances = list(paper_balances)
        if len({b.asset for b in balances}) != len(balances):
            raise ValueError(f"paper balances list an asset twice: {[b.asset for b in balances]}")
        for fill in fills:
            if fill.client_order_id != client_order_id:
                raise ValueError(
                    f"fill {fill.trade_id} belongs to {fill.client_order_id}, not {client_order_id}"
                )

        when = at or self._clock()
        fill_times = [f.executed_at for f in fills]
        opening_at, closing_at = min(fill_times, default=when), max(fill_times, default=when)
        postgres = self._postgres
        symbols = {f.symbol for f in fills} | (
            {position_update.symbol} if position_update is not None else set()
        )
        if postgres is not None and len(symbols) <= 1:
            recorded = self._attempt(
                "record_fills",
                lambda: postgres.record_fills(
                    client_order_id,
                    next(iter(symbols), None),
                    fills,
                    order_status=order_status,
                    filled_quantity=filled_quantity,
                    average_price=average_price,
                    position_update=position_update,
                    paper_balances=balances,
                    opening_at=opening_at,
                    closing_at=closing_at,
                    at=when,
                ),
            )
            if recorded is not None:
                return recorded
        # Unknown order, other symbol (or not PostgreSQL): the generic path writes or raises.

        def work(uow: SqlUnitOfWork) -> FillsRecorded:
            row = _require_order(uow, client_order_id, for_update=True)
            _check_fills_match(row.symbol, fills, position_update)
            new_ids = uow.trades.insert_new(row, fills)
            exchange_order_id = next(
                (f.exchange_order_id for f in fills if f.exchange_order_id), None
            )
            uow.orders.update_state(
                row.id,
                status=order_status,
                updated_at=when,
                exchange_order_id=exchange_order_id,
                filled_quantity=filled_quantity,
                average_price=average_price,
            )
            ordered_ids = tuple(dict.fromkeys(f.trade_id for f in fills))
            recorded = FillsRecorded(
                new_trade_ids=tuple(i for i in ordered_ids if i in new_ids),
                duplicate_trade_ids=tuple(i for i in ordered_ids if i not in new_ids),
            )
            uow.events.append(
                row.id,
                at=when,
                kind="FILLS",
                from_status=row.status,
                to_status=order_status.value,
                payload={
                    "new_trade_ids": list(recorded.new_trade_ids),
                    "duplicate_trade_ids": list(recorded.duplicate_trade_ids),
                    "filled_quantity": filled_quantity,
                    "average_price": average_price,
                },
            )
            if position_update is not None:
                uow.positions.upsert(
                    TradingMode(row.mode),
                    position_update,
                    opening_at=opening_at,
                    closing_at=closing_at,
                    updated_at=position_update.updated_at or when,
                )
            uow.paper_balances.upsert(balances, when)
            uow.commit()
            return recorded

        return self._run("record_fills", work)

    def record_risk_event(self, event: RiskEventRecord) -> None:
        """Store one risk rejection."""

        def work(uow: SqlUnitOfWork) -> None:
            uow.risk_events.add(event)
            uow.commit()

        self._run("record_risk_event", work)

    def start_run(
        self,
        mode: TradingMode,
        config_hash: str,
        version: str,
        *,
        at: datetime | None = None,
    ) -> int:
        """Record that the bot started; return the run id to pass to ``record_intent``."""

        def work(uow: SqlUnitOfWork) -> int:
            run_id = uow.runs.start(
                mode=mode, config_hash=config_hash, version=version, at=at or self._clock()
            )
            uow.commit()
            return run_id

        return self._run("start_run", work)

    def stop_run(self, run_id: int, reason: str, *, at: datetime | None = None) -> None:
        """Record that run ``run_id`` stopped and why (e.g. "signal SIGTERM", "halted: …")."""

        def work(uow: SqlUnitOfWork) -> None:
            if not uow.runs.stop(run_id, at=at or self._clock(), reason=reason):
                raise StoreError(f"no bot run with id {run_id}")
            uow.commit()

        self._run("stop_run", work)

    def save_paper_balances(
        self, balances: Iterable[Balance], *, at: datetime | None = None
    ) -> None:
        """Replace the stored PAPER balances with ``balances`` (one per asset)."""
        items = list(balances)

        def work(uow: SqlUnitOfWork) -> None:
            uow.paper_balances.replace_all(items, at or self._clock())
            uow.commit()

        self._run("save_paper_balances", work)

    # --- loads (start-up and reconciliation) ----------------------------------------------

    def load_open_orders(self, mode: TradingMode) -> list[Order]:
        """Return every order of ``mode`` in a non-final status, oldest first (to reconcile)."""
        return self._run("load_open_orders", lambda uow: uow.orders.list_open(mode), write=False)

    def load_order(self, client_order_id: str) -> Order | None:
        """Return one stored order, or None."""

        def work(uow: SqlUnitOfWork) -> Order | None:
            row = uow.orders.get(client_order_id)
            return order_from_row(row) if row is not None else None

        return self._run("load_order", work, write=False)

    def load_fills(self, client_order_id: str) -> list[Fill]:
        """Return the stored fills of one order, oldest first."""
        return self._run(
            "load_fills", lambda uow: uow.trades.list_for_order(client_order_id), write=False
        )

    def known_trade_ids(self, mode: TradingMode, symbol: str, trade_ids: Iterable[str]) -> set[str]:
        """Return which exchange trade ids are already stored (to replay only new fills)."""
        wanted = list(trade_ids)
        return self._run(
            "known_trade_ids", lambda uow: uow.trades.known_ids(mode, symbol, wanted), write=False
        )

    def load_positions(self, mode: TradingMode | None = None) -> list[PositionRecord]:
        """Return the stored positions of ``mode`` (all modes when None)."""
        return self._run("load_positions", lambda uow: uow.positions.list(mode), write=False)

    def load_paper_balances(self) -> dict[str, Balance]:
        """Return the stored PAPER balances by asset (empty on first start)."""
        return self._run(
            "load_paper_balances", lambda uow: uow.paper_balances.load_all(), write=False
        )

    # --- retry ----------------------------------------------------------------------------

    def _run(self, name: str, work: Callable[[SqlUnitOfWork], T], *, write: bool = True) -> T:
        # ``work`` in one unit of work (a transaction), retried as a whole.
        def in_unit_of_work() -> T:
            with self.unit_of_work(write=write) as uow:
                return work(uow)

        return self._attempt(name, in_unit_of_work)

    def _attempt(self, name: str, call: Callable[[], T]) -> T:
        # Run ``call`` with bounded retries on transient errors; map database errors to ours.
        last: BaseException | None = None
        for attempt in range(1, self._retry.attempts + 1):
            if attempt > 1:
                self._sleep(self._retry.backoff_s(attempt - 1))
            try:
                return call()
            except StoreError:
                raise
            except IntegrityError as exc:
                raise InvalidRecordError(
                    f"{name}: the database rejected the values: {exc.orig}"
                ) from exc
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise StoreUnavailable(
                        f"{name}: the database cannot serve this call (is the schema migrated? "
                        f"run 'imb-bot db upgrade'): {exc.orig}"
                    ) from exc
                last = exc
            except PoolTimeoutError as exc:
                last = exc
            except StatementError as exc:
                raise InvalidRecordError(f"{name}: invalid value: {exc.orig}") from exc
            log.warning(
                "store_retry",
                extra={
                    "ctx": {
                        "call": name,
                        "attempt": attempt,
                        "of": self._retry.attempts,
                        "error": str(last),
                    }
                },
            )
        raise StoreUnavailable(
            f"{name}: the database is unavailable after {self._retry.attempts} attempts: {last}"
        ) from last


def _require_order(uow: SqlUnitOfWork, client_order_id: str, *, for_update: bool = False) -> Any:
    row = uow.orders.get(client_order_id, for_update=for_update)
    if row is None:
        raise UnknownOrderError(
            f"no order with client_order_id {client_order_id!r}; record its intent"
        )
    return row


def _check_same_intent(order: Order, mode: TradingMode, stored: Order, stored_mode: str) -> None:
    wanted = {
        "mode": mode.value,
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "quantity": order.quantity,
        "quote_quantity": order.quote_quantity,
        "price": order.price,
        "time_in_force": order.time_in_force,
    }
    have = {
        "mode": stored_mode,
        "symbol": stored.symbol,
        "side": stored.side,
        "type": stored.type,
        "quantity": stored.quantity,
        "quote_quantity": stored.quote_quantity,
        "price": stored.price,
        "time_in_force": stored.time_in_force,
    }
    differences = [
        f"{k}: stored {have[k]}, new {wanted[k]}" for k in wanted if have[k] != wanted[k]
    ]
    if differences:
        raise DuplicateClientOrderIdError(
            f"client_order_id {order.client_order_id!r} is already stored with different "
            f"content ({'; '.join(differences)})"
        )


def _check_fills_match(symbol: str, fills: Sequence[Fill], position: PositionState | None) -> None:
    for fill in fills:
        if fill.symbol != symbol:
            raise ValueError(f"fill {fill.trade_id} is for {fill.symbol}, the order for {symbol}")
    if position is not None and position.symbol != symbol:
        raise ValueError(f"position update is for {position.symbol}, the order for {symbol}")
