"""Keep the garbage collector's full collections short with many connections: what a burst of
connections leaves behind is frozen (out of the generations), and frozen objects are swept only
when enough connections have closed to be worth one full collection.

Python runs a full (generation 2) collection whenever the objects promoted since the last one
reach a quarter of those it holds, and each walks every tracked object: with 5,000 connections
that is several hundred milliseconds with the event loop stopped, repeated as connections
accumulate. Frozen objects are not walked; those that die are still freed by reference
counting, only their cycles wait for the next sweep."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


class GcPolicy:
    """`opened` and `closed` count connections ever opened and closed (monotonic)."""

    def __init__(
        self,
        opened: Callable[[], int],
        closed: Callable[[], int],
        interval_s: float = 1.0,
        sweep_after: int = 1000,
    ) -> None:
        self._opened = opened
        self._closed = closed
        self._interval_s = interval_s
        self._sweep_after = sweep_after
        self._frozen_at = opened()
        self._swept_at = closed()

    def tick(self) -> None:
        """One check: sweep if enough closed connections may hold cycles, freeze if new ones
        opened since the last freeze."""
        opened, closed = self._opened(), self._closed()
        live = opened - closed
        if closed - self._swept_at >= max(self._sweep_after, live // 4):
            started = time.perf_counter()
            gc.unfreeze()
            collected = gc.collect()
            gc.freeze()
            self._swept_at, self._frozen_at = closed, opened
            log.info(
                "gc_sweep",
                collected=collected,
                frozen=gc.get_freeze_count(),
                took_ms=round((time.perf_counter() - started) * 1000, 1),
            )
        elif opened != self._frozen_at:
            gc.collect(1)  # the young generations' cycles, so they are not frozen with the rest
            gc.freeze()
            self._frozen_at = opened

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            self.tick()
