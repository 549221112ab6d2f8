"""Bot lifecycle: start, stop and halt the trading workers; one place that owns their tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol

from imb_bot.engine.status import BotState, BotStatus
from imb_bot.monitoring.logging import log_event

log = logging.getLogger(__name__)


class Worker(Protocol):
    """A long-running loop (e.g. one per symbol) that stops soon after ``stop`` is set."""

    name: str

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set; never raise for recoverable errors."""


class ResumeRefusedError(Exception):
    """Trading cannot resume: the reason a halt was needed is still there (say which)."""


class HaltHook(Protocol):
    """Called when the bot is halted or resumed (e.g. switch the risk manager, cancel orders)."""

    async def on_halt(self, reason: str) -> None:
        """Stop opening positions and cancel open orders."""

    async def on_resume(self) -> None:
        """Allow trading again, or raise :class:`ResumeRefusedError` naming what is still wrong."""


class BotController:
    """Start/stop/halt the workers; safe to call from API handlers concurrently."""

    def __init__(
        self,
        status: BotStatus,
        workers: Sequence[Worker],
        halt_hook: HaltHook | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.status = status
        self._workers = list(workers)
        self._halt_hook = halt_hook
        self._clock = clock
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()

    def set_workers(self, workers: Sequence[Worker]) -> None:
        """Replace the workers (once the runtime has built them); only while stopped."""
        if self.running:
            raise RuntimeError("cannot replace workers while they run; stop first")
        self._workers = list(workers)

    @property
    def running(self) -> bool:
        """True while worker tasks are alive."""
        return any(not task.done() for task in self._tasks)

    async def start(self) -> BotStatus:
        """Start the workers, or resume trading when halted. Idempotent."""
        async with self._lock:
            if self.status.state is BotState.HALTED and self.running:
                if self._halt_hook is not None:
                    await self._halt_hook.on_resume()
                self.status.state = BotState.RUNNING
                self.status.halt_reason = None
                log_event(log, logging.WARNING, "bot_resumed")
                return self.status
            if self.running:
                return self.status
            if self._halt_hook is not None and self.status.state is BotState.HALTED:
                await self._halt_hook.on_resume()
            self._stop = asyncio.Event()
            self._tasks = [
                asyncio.create_task(self._supervise(worker), name=f"worker:{worker.name}")
                for worker in self._workers
            ]
            self.status.state = BotState.RUNNING
            self.status.halt_reason = None
            log_event(log, logging.INFO, "bot_started", workers=[w.name for w in self._workers])
            return self.status

    async def stop(self) -> BotStatus:
        """Stop the workers and wait for them to finish their current iteration."""
        async with self._lock:
            self._stop.set()
            tasks, self._tasks = self._tasks, []
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if self.status.state is not BotState.ERROR:
                self.status.state = BotState.STOPPED
            log_event(log, logging.INFO, "bot_stopped")
            return self.status

    async def halt(self, reason: str = "operator request") -> BotStatus:
        """Stop opening positions and cancel open orders; loops keep watching the market."""
        async with self._lock:
            if self._halt_hook is not None:
                await self._halt_hook.on_halt(reason)
            self.status.state = BotState.HALTED
            self.status.halt_reason = reason
            log_event(log, logging.WARNING, "bot_halted", reason=reason)
            return self.status

    async def _supervise(self, worker: Worker) -> None:
        try:
            await worker.run(self._stop)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a worker must not die silently
            self.status.state = BotState.ERROR
            self.status.record_error(f"{worker.name} crashed: {type(exc).__name__}", self._clock())
            log.exception("worker_crashed", extra={"ctx": {"worker": worker.name}})
