"""Unit of work: one session and transaction; rolls back unless ``commit()`` was called."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

from imb_bot.db.engine import IMMEDIATE
from imb_bot.db.repositories import (
    OrderEventRepository,
    OrderRepository,
    PaperBalanceRepository,
    PositionRepository,
    RiskEventRepository,
    RunRepository,
    TradeRepository,
)

__all__ = ["SqlUnitOfWork"]


class SqlUnitOfWork:
    """One transaction over every repository; the only thing that commits.

    Use as ``with SqlUnitOfWork(factory) as uow: ...; uow.commit()``. Leaving the block without
    ``commit()`` (normally or by an exception) rolls everything back. A writing unit of work on
    SQLite takes the write lock at ``BEGIN`` so the busy timeout, not an error, handles contention.
    """

    orders: OrderRepository
    events: OrderEventRepository
    trades: TradeRepository
    positions: PositionRepository
    risk_events: RiskEventRepository
    runs: RunRepository
    paper_balances: PaperBalanceRepository

    def __init__(self, session_factory: sessionmaker[Session], *, write: bool = True) -> None:
        self._session_factory = session_factory
        self._write = write
        self._session: Session | None = None
        self._committed = False

    @property
    def session(self) -> Session:
        """The open session (only inside the ``with`` block)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use it in a with block")
        return self._session

    def __enter__(self) -> Self:
        session = self._session_factory()
        self._session = session
        self._committed = False
        try:
            if self._write:
                session.connection(execution_options={IMMEDIATE: True})
        except BaseException:
            session.close()
            self._session = None
            raise
        self.orders = OrderRepository(session)
        self.events = OrderEventRepository(session)
        self.trades = TradeRepository(session)
        self.positions = PositionRepository(session)
        self.risk_events = RiskEventRepository(session)
        self.runs = RunRepository(session)
        self.paper_balances = PaperBalanceRepository(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            if not self._committed:
                session.rollback()
        except Exception:
            if exc is None:
                raise
            # The original error says more than a failed rollback on a broken connection.
        finally:
            session.close()
            self._session = None

    def commit(self) -> None:
        """Make every change of this unit of work durable, atomically."""
        self.session.commit()
        self._committed = True
