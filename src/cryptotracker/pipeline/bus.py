"""Pub/sub of batches between instances: the Redis channel `price:batch`, or in-process when
there is no Redis. Either way the publishing instance delivers its own batch
locally at once, and Redis carries it to the others (who skip their own on the way back)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from cryptotracker.metrics import REDIS_OPS
from cryptotracker.pipeline.batch import Batch
from cryptotracker.pipeline.redis_clients import FAILURES, Client
from cryptotracker.pipeline.redis_link import RedisLink

log = structlog.get_logger(__name__)

BATCH_CHANNEL = "price:batch"

BatchHandler = Callable[[Batch], None]


class LocalBus:
    """The bus of a single instance: publishing is delivering."""

    def __init__(self) -> None:
        self._handlers: list[BatchHandler] = []
        self._admit: Callable[[Batch], Batch] | None = None
        self.received = 0

    def admit_with(self, admit: Callable[[Batch], Batch]) -> None:
        """Every batch passes `admit` (the store: what is news) before any subscriber."""
        self._admit = admit

    def subscribe(self, handler: BatchHandler) -> None:
        self._handlers.append(handler)

    def deliver(self, batch: Batch) -> None:
        self.received += 1
        if self._admit is not None:
            batch = self._admit(batch)
        for handler in self._handlers:
            handler(batch)

    async def publish(self, batch: Batch) -> None:
        self.deliver(batch)

    async def run(self) -> None:
        """Nothing to listen to in-process; parks until cancelled so callers treat buses alike."""
        await asyncio.Event().wait()


class RedisBus(LocalBus):
    """Batches over Redis pub/sub. Publishes to Redis before delivering locally, so the other
    instances are not delayed by this one's fan-out."""

    def __init__(self, link: RedisLink, origin: str) -> None:
        super().__init__()
        self._link = link
        self._origin = origin
        self.invalid = 0
        # The newest seq delivered per origin: a batch Redis hands over twice (a publish
        # retried across a fail-over, a resubscription) is not served twice.
        self._last_seq: dict[str, int] = {}
        self.repeated = 0

    async def publish(self, batch: Batch) -> None:
        payload = batch.to_json()

        clients = self._link.clients

        async def send(client: Client) -> None:
            pipe = client.pipeline(transaction=False)
            clients.publish(pipe, BATCH_CHANNEL, payload)
            await pipe.execute()

        await self._link.call("publish", send)
        self.deliver(batch)

    async def run(self) -> None:
        """Listen to the batch channel for the life of the app, resubscribing after failures
        (as soon as the link sees Redis back; the backoff only spaces repeated failures)."""
        failures = 0
        while True:
            await self._link.wait_up()
            try:
                async with self._link.clients.subscription(BATCH_CHANNEL) as payloads:
                    failures = 0
                    log.info("bus_listening", channel=BATCH_CHANNEL)
                    async for payload in payloads:
                        self.receive(payload)
            except FAILURES as exc:
                REDIS_OPS.labels("subscribe", "error").inc()
                self._link.mark_down("bus", exc)
                failures += 1
                await asyncio.sleep(self._link.backoff.pause(failures))

    def receive(self, payload: bytes) -> None:
        """One message of the batch channel: delivered unless it is ours, malformed, or a
        batch of its origin already delivered (seq 0: status only, always passed on)."""
        try:
            batch = Batch.from_json(payload)
        except (ValueError, KeyError, TypeError):
            self.invalid += 1
            log.warning("bus_invalid_batch", size=len(payload or b""))
            return
        if batch.origin == self._origin:
            return
        if batch.seq:
            if batch.seq <= self._last_seq.get(batch.origin, 0):
                self.repeated += 1
                return
            self._last_seq[batch.origin] = batch.seq
        self.deliver(batch)
