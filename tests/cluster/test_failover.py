"""Instances die or stop behind nginx: real processes (simulator, Redis, trackers, nginx) on
loopback; every client connects through nginx, as a browser would."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
import redis

from tests.cluster.kit import (
    Tracker,
    converged,
    nginx,
    nginx_available,
    placed,
    record,
    simulator,
    tracker,
    wait_live,
)
from tests.conftest import PrivateRedis
from tests.support import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not nginx_available(), reason="nginx is installed by make test"),
]
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


async def wait_single_ingester(trackers: list[Tracker], timeout: float = 20) -> Tracker:
    def one() -> bool:
        return sum(t.ingesting() for t in trackers) == 1

    await wait_for(one, timeout, "exactly one ingesting instance")
    return next(t for t in trackers if t.ingesting())


async def test_killing_the_ingesting_instance_moves_the_feed_and_its_clients(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    """The user on another instance sees prices pause for a few seconds (the lease TTL) and go
    on; the user on the killed instance sees a short disconnect, then the app reconnects through
    nginx to a live instance, gets the current prices at once (snapshot) and live ones after."""
    with (
        simulator() as sim,
        tracker(sim, private_redis.url, "tracker1", route="t1") as t1,
        tracker(sim, private_redis.url, "tracker2", route="t2") as t2,
        tracker(sim, private_redis.url, "tracker3", route="t3") as t3,
        nginx([t1, t2, t3], tmp_path) as lb,
    ):
        trackers = [t1, t2, t3]
        leader = await wait_single_ingester(trackers)
        followers = [t for t in trackers if t is not leader]
        wanted = {leader.port: 2} | {f.port: 1 for f in followers}
        async with placed(lb, trackers, wanted, SYMBOLS) as by_port:
            moved = by_port[leader.port]
            stayed = [w for f in followers for w in by_port[f.port]]
            for w in moved + stayed:
                await wait_live(w)

            killed_at = time.monotonic()
            leader.proc.kill()
            await wait_for(lambda: any(f.ingesting() for f in followers), 20, "takeover")
            takeover = time.monotonic() - killed_at
            for w in moved:
                await wait_for(lambda w=w: w.first_batch_after(killed_at, live=True) is not None,
                               20, "moved client live again")  # fmt: skip
            for w in stayed:
                await wait_for(lambda w=w: w.first_batch_after(killed_at + takeover) is not None,
                               20, "remaining client live again")  # fmt: skip
            end = time.monotonic()

            assert all(len(w.connects) == 1 for w in stayed), "other instances' clients stayed"
            for w in moved:
                assert len(w.connects) == 2  # reconnected once, through nginx
                assert w.disconnects and w.disconnects[0] >= killed_at
            await converged(moved + stayed, sim, SYMBOLS)

        reconnect = max(w.connects[1] - killed_at for w in moved)
        snapshot = max(w.first_batch_after(w.connects[1]) - killed_at for w in moved)  # type: ignore[operator]
        resumed = max(w.first_batch_after(killed_at, live=True) - killed_at for w in moved)  # type: ignore[operator]
        pause = max(w.longest_gap(killed_at, end) for w in stayed)
        record(
            "kill -9 of the ingesting instance (3 instances, nginx, lease TTL 5 s)",
            takeover_s=takeover,
            other_clients_longest_pause_s=pause,
            moved_clients_reconnected_s=reconnect,
            moved_clients_snapshot_s=snapshot,
            moved_clients_live_s=resumed,
        )
        assert takeover < 12  # lease TTL 5 s + renew period + start-up


async def test_sigterm_hands_over_at_once_and_leaves_redis_clean(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    """The user on a stopping instance is told why ("server shutting down"), reconnects through
    nginx and sees prices again within about a second; the next instance to start finds no
    stale lease or demand in Redis and takes the feed at once."""
    store = redis.Redis.from_url(private_redis.url)
    with simulator() as sim:
        with (
            tracker(sim, private_redis.url, "tracker1", route="t1") as t1,
            tracker(sim, private_redis.url, "tracker2", route="t2") as t2,
            nginx([t1, t2], tmp_path) as lb,
        ):
            leader = await wait_single_ingester([t1, t2])
            other = t2 if leader is t1 else t1
            async with placed(lb, [t1, t2], {leader.port: 1}, SYMBOLS) as by_port:
                [user, *_] = by_port[leader.port]
                await wait_live(user)
                stopped_at = time.monotonic()
                leader.proc.signal(signal.SIGTERM)
                await asyncio.to_thread(leader.proc.popen.wait, 15)
                exited = time.monotonic() - stopped_at
                await wait_for(other.ingesting, 10, "takeover")
                takeover = time.monotonic() - stopped_at
                await wait_for(lambda: len(user.connects) == 2, 10, "reconnected")
                await wait_for(lambda: user.first_batch_after(user.connects[1], live=True),
                               15, "live prices again")  # fmt: skip
                reconnected = user.connects[-1] - stopped_at
                resumed = user.first_batch_after(user.connects[-1], live=True) - stopped_at  # type: ignore[operator]

                reasons = [s for at, s in user.statuses if at >= stopped_at]
                assert reasons[0]["status"] == "disconnected"
                assert "shutting down" in reasons[0]["message"]
                assert len(user.connects) == 2  # reconnected by itself, to the other instance

            log = leader.proc.log()
            assert leader.proc.popen.returncode in (0, -signal.SIGTERM), log[-2000:]
            assert "shutdown_drained" in log and "shutdown_complete" in log
            assert "Traceback" not in log and "was destroyed but it is pending" not in log
            ours = {"redis-link", "bus", "gateway", "ingest", "demand", "status", "lease",
                    "batches", "exchange", "binance", "coingecko", "demand-refresh",
                    "demand-listen"}  # fmt: skip
            [line] = [ln for ln in log.splitlines() if "shutdown_complete" in ln]
            assert not any(f'"{name}"' in line for name in ours), line
            leader_id = line.split('"instance": "')[1].split('"')[0]
            assert store.get("ingest:leader") != leader_id.encode()
            assert store.get(f"demand:{leader_id}") is None
        # Both gone: nothing that would make the next start wait or stream stale demand.
        assert store.get("ingest:leader") is None
        assert store.keys("demand:*") == []
        with tracker(sim, private_redis.url, "tracker3") as t3:
            started = time.monotonic()  # listening: from here Redis and the lease decide
            await wait_for(t3.ingesting, 10, "fresh instance ingests")
            fresh_ingest = time.monotonic() - started
        assert fresh_ingest < 3  # no stale lease to wait out (TTL 5 s)
    store.close()
    record(
        "SIGTERM of the ingesting instance (2 instances, nginx)",
        process_exit_s=exited,
        takeover_s=takeover,
        client_reconnected_s=reconnected,
        client_live_again_s=resumed,
        next_start_ingesting_after_listening_s=fresh_ingest,
    )
    assert takeover < 4  # handed over (next renew period, 1.7 s), not left to expire (5 s)
