"""Ingest: run the exchange side exactly while this instance should (the lease, or the
settings, decide), stream the union of every instance's demand, and put its batches on the bus
with the feed's status. The status clients see is ours while we ingest, else the ingesting
instance's, which travels with its batches."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Protocol

import structlog

from cryptotracker.clock import now_ms
from cryptotracker.metrics import INGEST_ACTIVE
from cryptotracker.pipeline.batch import Batch
from cryptotracker.pipeline.bus import LocalBus
from cryptotracker.pipeline.demand import DemandBoard
from cryptotracker.protocol import CandleDict, StatusDict, SymbolInfo
from cryptotracker.settings import Settings

log = structlog.get_logger(__name__)

# How often the ingesting instance tells the others its feed status when no batch carries it.
STATUS_EVERY_S = 1.0
# Demand changes that come in a burst (a page subscribing row by row) become one diff.
DEMAND_COALESCE_S = 0.05

CandleKey = tuple[str, str]  # (symbol, interval)


class ExchangeSide(Protocol):
    """What ingest needs of the market side (market.sources.SourceChain in production)."""

    async def run(self) -> None: ...

    async def set_demand(self, symbols: frozenset[str], candles: frozenset[CandleKey]) -> None: ...

    def symbols(self) -> list[SymbolInfo]: ...

    async def klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]: ...

    def status(self) -> StatusDict: ...

    def circuit(self) -> str: ...


class Ingest:
    def __init__(
        self,
        settings: Settings,
        instance: str,
        exchange: ExchangeSide,
        bus: LocalBus,
        board: DemandBoard,
        on_status: Callable[[StatusDict], None],
    ) -> None:
        self._settings = settings
        self._instance = instance
        self.exchange = exchange
        self._bus = bus
        self._board = board
        self._on_status = on_status
        self.ingesting = False
        self._wants = False
        self._changed = asyncio.Event()
        self._remote_status: StatusDict | None = None

    # ---- the feed's status -----------------------------------------------------------------

    def status(self) -> StatusDict:
        """The feed as this instance's clients should see it."""
        if self.ingesting or self._remote_status is None:
            return self.exchange.status()
        return self._remote_status

    def observe(self, batch: Batch) -> None:
        """A batch from the bus (a subscriber): another instance's carries its feed's status,
        which this instance's clients see while it does not ingest."""
        if batch.status is not None and batch.origin != self._instance:
            self._remote_status = batch.status
        self._on_status(self.status())

    def feed_changed(self, *_: object) -> None:
        """The exchange side's state changed (its listener): clients hear it at once."""
        self._on_status(self.status())

    # ---- deciding and running --------------------------------------------------------------

    def decide(self, should: bool) -> None:
        """Should this instance ingest (the lease's verdict, or a graceful stop's)?"""
        self._wants = should
        self._changed.set()

    async def emit(self, batch: Batch) -> None:
        """One batch of ours, with the feed's status, to every instance (this one too)."""
        await self._bus.publish(dataclasses.replace(batch, status=self.exchange.status()))

    async def supervise(self, leased: bool) -> None:
        """Run the exchange side exactly while this instance should ingest. `leased`: a lease
        decides (else `auto` means always, a single instance)."""
        mode = self._settings.ingest
        self._wants = mode == "always" or (mode == "auto" and not leased)
        self._changed.set()
        task: asyncio.Task[None] | None = None
        try:
            while True:
                await self._changed.wait()
                self._changed.clear()
                want = self._wants and mode != "never"
                if want and task is None:
                    log.info("ingest_start", instance=self._instance)
                    self.ingesting = True
                    INGEST_ACTIVE.set(1)
                    task = asyncio.create_task(self.exchange.run(), name="exchange")
                    self._board.changed.set()
                elif not want and task is not None:
                    log.info("ingest_stop", instance=self._instance)
                    self.ingesting = False
                    INGEST_ACTIVE.set(0)
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
                    task = None
                self.feed_changed()
        finally:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def follow_demand(self) -> None:
        """While ingesting, stream the union of every instance's demand."""
        board = self._board
        last: tuple[frozenset[str], frozenset[CandleKey]] | None = None
        while True:
            await board.changed.wait()
            await asyncio.sleep(DEMAND_COALESCE_S)
            board.changed.clear()
            if not self.ingesting:
                last = None
                continue
            union = await board.union()
            if union != last:
                last = union
                await self.exchange.set_demand(*union)

    async def tell_status(self) -> None:
        """Send the feed status to the other instances even when no prices move."""
        while True:
            await asyncio.sleep(STATUS_EVERY_S)
            if self.ingesting:
                status = self.exchange.status()
                self._on_status(status)
                await self._bus.publish(Batch(self._instance, 0, now_ms(), [], [], status))
