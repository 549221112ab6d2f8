"""Build and run one bot from settings: connector, store, broker, loops, controller.

Start-up order (crash-only): migrate → load markets → open a run → restore the portfolio from the
store → reconcile every non-final order with the venue (LIVE_TESTNET: also positions against
exchange balances) → only then start trading. A reconciliation that cannot be resolved leaves the
bot HALTED with a report instead of trading. Preparation retries in the background while the
exchange is unreachable, so the API stays up and /status says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.exc import SQLAlchemyError

from imb_bot import __version__
from imb_bot.brokers.live import LiveBroker
from imb_bot.brokers.paper import PaperBroker
from imb_bot.config.settings import Settings, TradingMode
from imb_bot.core.execution import ClientOrderIdFactory, ExecutionEngine
from imb_bot.core.models import Balance, MarketRules
from imb_bot.core.risk import RiskManager, TradingState
from imb_bot.core.strategy import RsiEmaStrategy
from imb_bot.db.async_store import AsyncStore
from imb_bot.db.errors import StoreError
from imb_bot.db.migrate import upgrade_to_head
from imb_bot.db.store import Store
from imb_bot.engine.account import Account
from imb_bot.engine.chaos import Chaos
from imb_bot.engine.controller import BotController, ResumeRefusedError
from imb_bot.engine.order_manager import OrderManager
from imb_bot.engine.ports import Broker
from imb_bot.engine.reconcile import check_against_exchange, reconcile
from imb_bot.engine.restore import restore_exit_levels, restore_portfolio, seed_today
from imb_bot.engine.status import BotState, BotStatus
from imb_bot.engine.symbol_loop import SymbolLoop
from imb_bot.exchange.connector import ExchangeConnector
from imb_bot.monitoring.logging import log_event

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start (the message says why, without secrets)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def config_hash(settings: Settings) -> str:
    """Stable hash of the effective (redacted) settings, recorded with every run."""
    data = json.dumps(settings.redacted(), sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


class BotRuntime:
    """Everything one bot process runs; owned by the API server's lifespan."""

    def __init__(
        self,
        settings: Settings,
        connector: ExchangeConnector,
        store: AsyncStore | None,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.settings = settings
        self.connector = connector
        self.store = store
        self.mode = settings.trading_mode
        self._clock = clock
        self.status = BotStatus(mode=self.mode.value, symbols=list(settings.symbols))
        self.controller = BotController(self.status, [], halt_hook=self, clock=clock)
        self.risk = RiskManager(settings.risk.to_core(settings.quote_asset))
        self.account: Account | None = None
        self.orders: OrderManager | None = None
        self.loops: list[SymbolLoop] = []
        self.run_id: int | None = None
        self.reconciliation_report: list[str] = []
        self._prepare_task: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> BotRuntime:
        """Create the connector and the store (migrating it first when configured).

        Raises StartupError (with a message naming the database, password hidden) when the
        database cannot be reached or migrated.
        """
        try:
            if settings.db_auto_migrate:
                upgrade_to_head(settings.database_url)
            store = AsyncStore(Store.from_url(settings.database_url))
        except (SQLAlchemyError, StoreError) as exc:
            shown = settings.redacted()["database_url"]
            cause = " ".join(str(getattr(exc, "orig", None) or exc).split())  # one line
            raise StartupError(f"cannot prepare the database {shown}: {cause}") from exc
        return cls(settings, ExchangeConnector.from_settings(settings), store)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Prepare in the background (retrying) and start trading when ready and autostart."""
        self._prepare_task = asyncio.create_task(self._prepare_until_ready(), name="prepare")

    async def wait_ready(self) -> None:
        """Wait for preparation to finish (tests, demo); wrap in ``asyncio.timeout``."""
        if self._prepare_task is not None:
            await asyncio.shield(self._prepare_task)

    async def shutdown(self) -> None:
        """Stop trading, close the run and release connections."""
        if self._prepare_task is not None and not self._prepare_task.done():
            self._prepare_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prepare_task
        await self.controller.stop()
        if self.store is not None:
            if self.run_id is not None:
                with contextlib.suppress(Exception):
                    await self.store.stop_run(self.run_id, "shutdown")
            await self.store.aclose()
        await self.connector.close()

    async def _prepare_until_ready(self) -> None:
        delay = 1.0
        while True:
            try:
                await self.prepare()
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                message = f"start-up: {type(exc).__name__}: {exc}"
                self.status.state = BotState.ERROR
                self.status.record_error(message, self._clock())
                log.warning("startup_failed", extra={"ctx": {"error": message, "retry_s": delay}})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        if self.status.state is BotState.HALTED:
            return  # reconciliation found a problem: an operator must look first
        self.status.state = BotState.STOPPED
        if self.settings.engine.autostart:
            await self.controller.start()

    async def prepare(self) -> None:
        """Build the account, reconcile, and create the symbol loops (no trading yet)."""
        settings = self.settings
        log_event(
            log,
            logging.INFO,
            "bot_preparing",
            mode=self.mode.value,
            symbols=settings.symbols,
            exchange=self.connector.config.base_url,
        )
        rules = {s: await self.connector.get_market_rules(s) for s in settings.symbols}
        run_token = secrets.token_hex(3)
        if self.store is not None and self.run_id is None:
            self.run_id = await self.store.start_run(self.mode, config_hash(settings), __version__)
        ids = ClientOrderIdFactory(f"r{self.run_id or 0}_{run_token}")
        portfolio = await restore_portfolio(
            settings=settings, store=self.store, connector=self.connector, rules=rules
        )
        self.account = Account(portfolio)
        if self.store is not None:
            await seed_today(
                self.account, mode=self.mode, store=self.store, rules=rules, now=self._clock()
            )
        broker = self._make_broker(rules)
        self.orders = OrderManager(
            mode=self.mode,
            broker=broker,
            account=self.account,
            status=self.status,
            clock=self._clock,
            store=self.store,
            run_id=self.run_id,
            unknown_checks=settings.engine.unknown_order_checks,
            unknown_check_delay_s=settings.engine.unknown_order_check_delay_s,
            paper_balances=self._paper_balances if self.mode is TradingMode.PAPER else None,
            chaos=Chaos.from_env(),
        )
        problems = await reconcile(
            mode=self.mode,
            store=self.store,
            orders=self.orders,
            broker=broker,
            connector=self.connector if self.mode is TradingMode.LIVE_TESTNET else None,
            portfolio=portfolio,
            rules=rules,
        )
        self.reconciliation_report = problems
        restore_exit_levels(self.account, settings.strategy)
        lock = asyncio.Lock()
        execution = ExecutionEngine(settings.engine.execution_config(), ids)
        self.loops = [
            SymbolLoop(
                symbol=symbol,
                timeframe=settings.timeframe,
                market_data=self.connector,
                rules=rules[symbol],
                strategy=RsiEmaStrategy(settings.strategy.to_core(symbol)),
                risk=self.risk,
                execution=execution,
                orders=self.orders,
                account=self.account,
                status=self.status,
                trading_lock=lock,
                clock=self._clock,
                store=self.store,
                mode=self.mode,
                run_id=self.run_id,
                poll_interval_s=settings.engine.poll_interval_s,
                warmup_extra_candles=settings.engine.warmup_extra_candles,
                error_backoff_max_s=settings.engine.error_backoff_max_s,
            )
            for symbol in settings.symbols
        ]
        self.controller.set_workers(self.loops)
        if problems:
            self.risk.set_trading_state(
                TradingState.HALTED, reason="reconciliation mismatch", now=self._clock()
            )
            self.status.state = BotState.HALTED
            self.status.trading_state = TradingState.HALTED.value
            self.status.halt_reason = "reconciliation: " + "; ".join(problems)
            log_event(log, logging.ERROR, "reconciliation_failed", problems=problems)
        log_event(
            log,
            logging.INFO,
            "bot_ready",
            mode=self.mode.value,
            run_id=self.run_id,
            cash=str(portfolio.balance(portfolio.quote_asset)),
            positions={s: str(p.quantity) for s, p in portfolio.open_positions.items()},
            open_orders=len(self.orders.open_orders),
        )

    # ------------------------------------------------------------------ HaltHook
    async def on_halt(self, reason: str) -> None:
        """Stop opening positions and cancel open orders."""
        self.risk.set_trading_state(TradingState.HALTED, reason=reason, now=self._clock())
        self.status.trading_state = TradingState.HALTED.value
        if self.orders is not None:
            await self.orders.cancel_all(reason)

    async def on_resume(self) -> None:
        """Allow trading again (an operator acknowledged the halt).

        In LIVE_TESTNET the books are first checked against the exchange again; while they
        disagree (e.g. a stored position the account does not hold) trading stays HALTED.
        """
        if (
            self.mode is TradingMode.LIVE_TESTNET
            and self.store is not None
            and self.account is not None
        ):
            rules = {s: await self.connector.get_market_rules(s) for s in self.settings.symbols}
            problems = await check_against_exchange(
                self.connector, self.store, self.account.portfolio, rules
            )
            if problems:
                raise ResumeRefusedError("; ".join(problems))
        self.risk.set_trading_state(
            TradingState.ACTIVE, reason="resumed by operator", now=self._clock()
        )
        self.status.trading_state = TradingState.ACTIVE.value

    # ------------------------------------------------------------------ helpers
    def _make_broker(self, rules: dict[str, MarketRules]) -> Broker:
        if self.mode is TradingMode.LIVE_TESTNET:
            return LiveBroker(self.connector)
        return PaperBroker(self.connector, rules, self.settings.paper.to_core(), self._clock)

    def _paper_balances(self) -> list[Balance]:
        # The PAPER cash (base assets are the positions, stored with them).
        if self.account is None:
            return []
        bases = {s.split("/")[0] for s in self.settings.symbols}
        return [
            Balance(asset, amount, Decimal(0))
            for asset, amount in self.account.portfolio.balances.items()
            if asset not in bases
        ]
