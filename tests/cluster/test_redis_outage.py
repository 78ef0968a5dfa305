"""Redis goes away under two running instances and comes back (a redis-server of the test's
own; the machine's Redis is left alone)."""

from __future__ import annotations

import time

import pytest

from tests.cluster.kit import Watcher, converged, record, simulator, tracker, wait_live, watching
from tests.conftest import PrivateRedis
from tests.support import wait_for

pytestmark = pytest.mark.slow
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


async def test_instances_serve_alone_while_redis_is_down_then_rejoin(
    private_redis: PrivateRedis,
) -> None:
    """Users on either instance keep getting prices while Redis is down (each instance takes the
    feed itself, /health says Redis is degraded) and after it returns (one instance takes the
    feed again, the other follows over Redis), with pauses of about a second at most."""
    with (
        simulator() as sim,
        tracker(sim, private_redis.url, "tracker1") as t1,
        tracker(sim, private_redis.url, "tracker2") as t2,
    ):
        await wait_for(lambda: t1.ingesting() != t2.ingesting(), 20, "one ingesting instance")
        users = [Watcher(SYMBOLS), Watcher(SYMBOLS)]
        async with watching(*users):
            await users[0].connect(t1.url)
            await users[1].connect(t2.url)
            for user in users:
                await wait_live(user)

            down_at = time.monotonic()
            private_redis.stop()
            await wait_for(lambda: t1.ingesting() and t2.ingesting(), 15, "both ingest alone")
            alone = time.monotonic() - down_at
            for t in (t1, t2):
                health = t.health()
                assert health["redis"]["status"] == "degraded"
                assert health["status"] == "degraded"
            mark = time.monotonic()
            for user in users:
                await wait_for(lambda u=user: len(u.live(mark)) >= 5, 10, "prices without Redis")

            up_at = time.monotonic()
            private_redis.start()
            await wait_for(lambda: t1.ingesting() != t2.ingesting(), 20, "one ingester again")
            rejoined = time.monotonic() - up_at
            await wait_for(
                lambda: all(t.health()["redis"]["status"] == "ok" for t in (t1, t2)), 10, "redis ok"
            )
            mark = time.monotonic()
            for user in users:
                await wait_for(lambda u=user: len(u.live(mark)) >= 5, 15, "prices over Redis")
            end = time.monotonic()
            assert all(len(u.connects) == 1 for u in users)  # nobody was disconnected
            await converged(users, sim, SYMBOLS)

        pause_down = max(u.longest_gap(down_at, up_at) for u in users)
        pause_up = max(u.longest_gap(up_at, end) for u in users)
    record(
        "Redis stopped, then restarted (2 instances)",
        every_instance_ingesting_alone_s=alone,
        clients_longest_pause_while_down_s=pause_down,
        single_ingester_again_after_restart_s=rejoined,
        clients_longest_pause_after_restart_s=pause_up,
    )
    assert pause_down < 5 and pause_up < 5
