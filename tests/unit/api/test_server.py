"""The server's start-up: long-lived objects are kept out of the garbage collector's way."""

from __future__ import annotations

import gc

from imb_bot.api.server import freeze_startup_heap


def test_freeze_startup_heap_moves_objects_alive_now_to_the_permanent_generation() -> None:
    gc.unfreeze()
    long_lived = [{"n": i} for i in range(1_000)]
    try:
        frozen = freeze_startup_heap()

        assert frozen == gc.get_freeze_count()
        assert frozen >= len(long_lived)  # at least these dicts, and the imported modules
    finally:
        gc.unfreeze()  # other tests expect an ordinary collector
