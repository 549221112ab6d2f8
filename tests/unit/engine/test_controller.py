import asyncio

from imb_bot.engine.controller import BotController
from imb_bot.engine.status import BotState, BotStatus


class _CrashingWorker:
    name = "crashy"

    async def run(self, stop: asyncio.Event) -> None:
        raise RuntimeError("boom")


async def test_supervise_when_worker_crashes_sets_error_state_and_records_it() -> None:
    controller = BotController(BotStatus(mode="PAPER", symbols=["BTC/USDT"]), [_CrashingWorker()])
    await controller.start()
    for _ in range(10):
        await asyncio.sleep(0)
    assert controller.status.state is BotState.ERROR
    assert controller.status.last_error == "crashy crashed: RuntimeError"
    await controller.stop()
    assert controller.status.state is BotState.ERROR  # stays visible until an operator acts
