"""Redis Sentinel: two instances on a primary + replica watched by three sentinels; kill -9 of the
primary under connected clients, and start-up with a Sentinel configuration that cannot work."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from cryptotracker.pipeline import redis_clients
from cryptotracker.pipeline.redis_link import RedisLink
from tests.cluster.kit import Tracker, Watcher, record, simulator, tracker, wait_live, watching
from tests.cluster.redis_ha import (
    MASTER,
    BusPair,
    SentinelSet,
    recovered,
    refused_in_one_line,
    sentinel_set,
    start,
)
from tests.support import free_port, wait_for

pytestmark = pytest.mark.slow
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


@pytest.fixture
def sentinels(tmp_path: Path) -> Iterator[SentinelSet]:
    with sentinel_set(tmp_path) as found:
        yield found


def one_ingester(trackers: list[Tracker]) -> bool:
    return sum(t.ingesting() for t in trackers) == 1


def lease_agrees(sentinels: SentinelSet, trackers: list[Tracker]) -> bool:
    """Exactly one instance ingests, and it is the one the (current) primary's lease names."""
    ingesting = [t.health() for t in trackers]
    ingesting = [h for h in ingesting if h["ingesting"]]
    if len(ingesting) != 1 or sentinels.master_port() is None:
        return False
    master = sentinels.master()
    try:
        holder = master.get("ingest:leader")
    except redis.RedisError:
        return False
    finally:
        master.close()
    return holder is not None and holder.decode() == ingesting[0]["instance"]


async def test_killing_the_sentinel_primary_keeps_clients_served_once(
    sentinels: SentinelSet,
) -> None:
    """The users on both instances stay connected while the primary dies and the sentinels
    promote the replica: prices pause for a moment (each instance on its own feed while Redis
    is away), then flow again over the new primary, with the cache and the single ingest lease
    there; no update reaches a user twice."""
    env = {"CRYPTOTRACKER_REDIS_SENTINELS": sentinels.setting,
           "CRYPTOTRACKER_REDIS_SENTINEL_MASTER": MASTER}  # fmt: skip
    with (
        simulator() as sim,
        tracker(sim, None, "tracker1", **env) as t1,
        tracker(sim, None, "tracker2", **env) as t2,
    ):
        trackers = [t1, t2]
        await wait_for(lambda: one_ingester(trackers), 20, "one ingesting instance")
        users = [Watcher(SYMBOLS), Watcher(SYMBOLS)]
        async with watching(*users):
            await users[0].connect(t1.url)
            await users[1].connect(t2.url)
            for user in users:
                await wait_live(user)

            old = sentinels.master_port()
            [primary] = [n for n in (sentinels.primary, sentinels.replica) if n.port == old]
            killed_at = time.monotonic()
            primary.proc.kill()
            await wait_for(lambda: sentinels.master_port() not in (None, old), 20, "promotion")
            promoted = time.monotonic() - killed_at

            def read(key: str) -> bytes | None:
                master = sentinels.master()
                try:
                    return master.get(key)
                finally:
                    master.close()

            back = await recovered(
                killed_at, trackers, users, lambda: lease_agrees(sentinels, trackers), read
            )
        pause = max(u.longest_gap(killed_at, back.end) for u in users)

    record(
        "kill -9 of the Sentinel primary (2 instances, 3 sentinels, down-after 1 s)",
        replica_promoted_s=promoted,
        redis_ok_on_every_instance_s=back.redis_back,
        single_ingester_again_s=back.single,
        clients_longest_pause_s=pause,
        live_updates_checked=back.updates,
    )
    print(f"Sentinel fail-over: longest pause {pause:.2f} s, promoted after {promoted:.2f} s")
    assert pause < 30


def test_an_unknown_sentinel_master_fails_start_up_in_one_line(sentinels: SentinelSet) -> None:
    env = {"CRYPTOTRACKER_REDIS_SENTINELS": sentinels.setting,
           "CRYPTOTRACKER_REDIS_SENTINEL_MASTER": "nosuch"}  # fmt: skip
    line = refused_in_one_line(start(env))
    assert "'nosuch' does not exist" in line and sentinels.setting in line
    assert MASTER in line  # the names the sentinels do know


def test_no_reachable_sentinel_fails_start_up_in_one_line() -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    line = refused_in_one_line(start({"CRYPTOTRACKER_REDIS_SENTINELS": nowhere}))
    assert f"no sentinel reachable at {nowhere}" in line


async def test_a_manual_sentinel_fail_over_keeps_batches_coming_once(
    sentinels: SentinelSet,
) -> None:
    """`SENTINEL FAILOVER`: the old primary stays up as a replica (refusing writes); the
    instances follow the sentinels to the new one and batches keep arriving, each once."""
    ends = [("127.0.0.1", s.port) for s in sentinels.sentinels]
    links = [RedisLink(redis_clients.sentinel_master(ends, MASTER, None, 1.0)) for _ in "ab"]
    async with BusPair(links).running() as buses:
        await buses.send_until(lambda: len(buses.got) >= 3, "batches over Redis")
        old = sentinels.master_port()
        sentinels.sentinels[0].client().execute_command("SENTINEL", "FAILOVER", MASTER)
        await buses.send_until(lambda: sentinels.master_port() not in (None, old), "the fail-over")
        moved_at = buses.seq
        await buses.send_until(lambda: any(s > moved_at + 5 for s in buses.got), "batches after it")
