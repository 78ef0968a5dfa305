"""What `/health` and `/health/ready` say: the instance, its feed, Redis, the lease, and whether
a balancer should send it traffic."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, Literal

from cryptotracker.clock import now_ms
from cryptotracker.pipeline.ingest import Ingest
from cryptotracker.pipeline.lease import LEASE_KEY, IngestLease
from cryptotracker.pipeline.redis_link import RedisLink
from cryptotracker.pipeline.store import PriceStore
from cryptotracker.protocol import (
    ComponentHealth,
    FeedHealth,
    Health,
    LeaseHealth,
    Readiness,
    StatusDict,
)

# A feed silent this long no longer counts as serving fresh prices.
STALE_AFTER_S = 120.0
# The Redis probe (PING, then GET of the lease): an answer slower than this is "down".
PROBE_TIMEOUT_S = 1.0


class HealthReport:
    def __init__(
        self,
        instance: str,
        grace_s: float,
        store: PriceStore,
        ingest: Ingest,
        link: RedisLink | None,
        lease: IngestLease | None,
        connections: Callable[[], int],
    ) -> None:
        self._instance = instance
        self._grace_s = grace_s
        self._store = store
        self._ingest = ingest
        self._link = link
        self._lease = lease
        self._connections = connections
        self.started = time.monotonic()
        self.draining = False

    def price_age(self) -> float | None:
        """Seconds since the newest price was made; None before the first."""
        newest = self._store.newest_time()
        return None if newest is None else max(0.0, time.time() - newest / 1000)

    async def _probe_redis(self) -> tuple[float | None, str | None]:
        """(PING round trip in ms, the lease holder's id) as Redis answers now."""
        if self._link is None:
            return None, None

        async def probe(client: Any) -> tuple[float, str | None]:
            started = time.perf_counter()
            await client.ping()
            latency = (time.perf_counter() - started) * 1000
            holder = await client.get(LEASE_KEY)
            return latency, holder.decode() if isinstance(holder, bytes) else None

        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                answer = await self._link.call("health", probe)
                if answer is not None:
                    return round(answer[0], 3), answer[1]
        return None, None

    async def health(self) -> Health:
        status = self._ingest.status()
        age = self.price_age()
        serving = age is not None and age < STALE_AFTER_S
        feed_ok = status["status"] == "connected"
        latency_ms, holder = await self._probe_redis()
        redis = redis_health(self._link)
        if not serving:
            overall = "down"
        elif feed_ok and status["live"] and redis.status == "ok":
            overall = "ok"
        else:
            overall = "degraded"
        lease = None
        if self._lease is not None:
            lease = LeaseHealth(held=self._lease.held and holder == self._instance, holder=holder)
        return Health(
            status=overall,
            instance=self._instance,
            ingesting=self._ingest.ingesting,
            lease=lease,
            source=status.get("source"),
            live=status["live"],
            circuit=self._ingest.exchange.circuit(),
            feed=feed_health(status, "ok" if feed_ok else ("degraded" if serving else "down")),
            redis=redis,
            redis_latency_ms=latency_ms,
            connections=self._connections(),
            symbols=len(self._store),
            last_update_age_s=None if age is None else round(age, 3),
            timestamp=now_ms(),
        )

    def readiness(self) -> Readiness:
        """Whether a balancer should send this instance traffic; answered from memory only, so a
        slow Redis never fails the probe (the instance serves from memory without it). The
        start-up grace period is the feed's silence limit (`feed_silence_s`): no prices by
        then is the failure the watchdog would report."""
        age = self.price_age()
        if self.draining:
            ready, reason = False, "shutting down"
        elif age is not None and age < STALE_AFTER_S:
            ready, reason = True, f"serving prices (newest {age:.1f} s old)"
        elif (up := time.monotonic() - self.started) < (grace := self._grace_s):
            ready, reason = True, f"starting: {up:.1f} s of the {grace:g} s grace period"
        elif age is None:
            ready, reason = False, f"no prices {grace:g} s after start"
        else:
            ready, reason = False, f"prices stale: newest {age:.0f} s old"
        return Readiness(ready=ready, reason=reason, instance=self._instance)


def feed_health(status: StatusDict, state: Literal["ok", "degraded", "down"]) -> FeedHealth:
    """The feed's status with the countdown to its next attempt, as of now."""
    retry_at = status.get("retryAt")
    if retry_at is None:
        return FeedHealth(status=state, detail=status["message"])
    left = max(0.0, retry_at / 1000 - time.time())
    when = f"next attempt in {left:.1f}s" if left > 0 else "attempt under way"
    return FeedHealth(
        status=state,
        detail=f"{status['message']}; {when}",
        retry_at=retry_at,
        retry_in_s=round(left, 3),
    )


def redis_health(link: RedisLink | None) -> ComponentHealth:
    if link is None:
        return ComponentHealth(status="ok", detail="not configured: in-memory cache and bus")
    if link.up:
        return ComponentHealth(
            status="ok", detail=f"connected: {link.clients.mode} at {link.where}"
        )
    return ComponentHealth(status="degraded", detail="unreachable: serving from memory")
