"""The pipeline's connection to Redis (one server, Sentinel or Cluster: see redis_clients), with
its health: every call is bounded in time, a failure marks Redis down (logged once), and a
watcher reconnects with backoff and tells listeners when it is back so they can resync."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from cryptotracker.backoff import Backoff
from cryptotracker.metrics import REDIS_OPS, REDIS_UP
from cryptotracker.pipeline.redis_clients import (
    FAILURES_OR_TIMEOUT,
    Client,
    RedisClients,
    single_server,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")

CALL_TIMEOUT_S = 1.0
# Reconnect attempts are one local connect each: retry often, so a returning Redis is seen
# within a couple of seconds however long it was away.
RECONNECT_CAP_S = 2.0


class RedisLink:
    def __init__(self, target: RedisClients | str) -> None:
        """`target`: the clients (redis_clients.build), or one server's URL."""
        clients = single_server(target, CALL_TIMEOUT_S) if isinstance(target, str) else target
        self.clients = clients
        self.where = clients.where
        self.client: Client = clients.client
        self.up = False
        # Reconnects, and the listeners' resubscriptions after failures, are spaced by this.
        self.backoff = Backoff(base_s=0.2, max_s=RECONNECT_CAP_S, jitter=0.5)
        self._on_up: list[Callable[[], Awaitable[None]]] = []
        self._changed = asyncio.Event()
        self._is_up = asyncio.Event()
        # Set once the first connect attempt has an answer (either way): deciding anything on
        # `up` before that would take a Redis still connecting for a Redis that is down.
        self.attempted = asyncio.Event()

    def on_up(self, listener: Callable[[], Awaitable[None]]) -> None:
        """Run `listener` every time Redis comes (back) up."""
        self._on_up.append(listener)

    async def wait_up(self) -> None:
        """Until Redis is (back) up: listeners that lost their pub/sub connection wait here
        rather than on a blind backoff, so they resubscribe as soon as it returns."""
        await self._is_up.wait()

    async def call(self, op: str, fn: Callable[[Client], Awaitable[T]]) -> T | None:
        """Run one Redis operation; None (and Redis marked down) when it fails."""
        if not self.up:
            REDIS_OPS.labels(op, "skipped").inc()
            return None
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S * 2):
                result = await fn(self.client)
        except FAILURES_OR_TIMEOUT as exc:
            REDIS_OPS.labels(op, "error").inc()
            self.mark_down(op, exc)
            return None
        REDIS_OPS.labels(op, "ok").inc()
        return result

    def mark_down(self, where: str, exc: BaseException) -> None:
        if self.up:
            log.warning("redis_down", where=where, error=repr(exc))
            self.up = False
            self._is_up.clear()
            REDIS_UP.set(0)
            self._changed.set()

    async def connect(self) -> bool:
        """One attempt to (re)connect; runs the on-up listeners when it succeeds."""
        try:
            async with asyncio.timeout(CALL_TIMEOUT_S * 2):
                await self.clients.ping()
        except FAILURES_OR_TIMEOUT as exc:
            log.debug("redis_connect_failed", error=repr(exc))
            return False
        self.up = True
        self._is_up.set()
        REDIS_UP.set(1)
        log.info("redis_up", mode=self.clients.mode, where=self.where)
        for listener in self._on_up:
            await listener()
        return True

    async def run(self) -> None:
        """Keep Redis connected for the life of the app: reconnect with backoff while down."""
        failures = 0
        while True:
            if self.up:
                self._changed.clear()
                await self._changed.wait()
                failures = 0
                continue
            ok = await self.connect()
            self.attempted.set()
            if ok:
                continue
            failures += 1
            await asyncio.sleep(self.backoff.pause(failures))

    async def close(self) -> None:
        await self.clients.aclose()
