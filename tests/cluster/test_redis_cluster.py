"""Redis Cluster: two instances on three primaries (a replica each), batches on the cluster's
sharded pub/sub; kill -9 of the primary that carries the batch channel under connected clients."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from cryptotracker.pipeline import redis_clients
from cryptotracker.pipeline.bus import BATCH_CHANNEL
from cryptotracker.pipeline.redis_link import RedisLink
from tests.cluster.kit import Tracker, Watcher, record, simulator, tracker, wait_live, watching
from tests.cluster.redis_ha import (
    BusPair,
    ClusterSet,
    Node,
    cluster_set,
    recovered,
    refused_in_one_line,
    start,
)
from tests.support import free_port, wait_for

pytestmark = pytest.mark.slow
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[ClusterSet]:
    with cluster_set(tmp_path) as made:
        yield made


def lease_agrees(cluster: ClusterSet, trackers: list[Tracker]) -> bool:
    """Exactly one instance ingests, and it is the one the cluster's lease names."""
    ingesting = [h for h in (t.health() for t in trackers) if h["ingesting"]]
    if len(ingesting) != 1:
        return False
    try:
        client = cluster.client()
    except redis.RedisError:
        return False
    try:
        holder = client.get("ingest:leader")
    except redis.RedisError:
        return False
    finally:
        client.close()
    return holder is not None and holder.decode() == ingesting[0]["instance"]


async def test_killing_the_primary_of_the_batch_channel_keeps_clients_served_once(
    cluster: ClusterSet,
) -> None:
    """The users on both instances stay connected while the shard that carries the batch
    channel loses its primary and its replica takes over: prices pause for a moment, then
    flow again over the cluster, with the cache and one ingest lease in it; no update reaches
    a user twice."""
    env = {"CRYPTOTRACKER_REDIS_CLUSTER_NODES": cluster.setting}
    with (
        simulator() as sim,
        tracker(sim, None, "tracker1", **env) as t1,
        tracker(sim, None, "tracker2", **env) as t2,
    ):
        trackers = [t1, t2]
        await wait_for(lambda: lease_agrees(cluster, trackers), 20, "one leaseholder")
        users = [Watcher(SYMBOLS), Watcher(SYMBOLS)]
        async with watching(*users):
            await users[0].connect(t1.url)
            await users[1].connect(t2.url)
            for user in users:
                await wait_live(user)

            carrier = cluster.owner_of(BATCH_CHANNEL)
            killed_at = time.monotonic()
            carrier.proc.kill()
            await wait_for(
                lambda: cluster.healthy() and cluster.owner_of(BATCH_CHANNEL) is not carrier,
                20, "the replica promoted",
            )  # fmt: skip
            promoted = time.monotonic() - killed_at

            def read(key: str) -> bytes | None:
                client = cluster.client()
                try:
                    return client.get(key)
                finally:
                    client.close()

            back = await recovered(
                killed_at, trackers, users, lambda: lease_agrees(cluster, trackers), read
            )
        pause = max(u.longest_gap(killed_at, back.end) for u in users)

    record(
        "kill -9 of the cluster primary carrying price:batch (2 instances, 3 primaries + "
        "3 replicas, node timeout 1 s)",
        replica_promoted_s=promoted,
        redis_ok_on_every_instance_s=back.redis_back,
        single_ingester_again_s=back.single,
        clients_longest_pause_s=pause,
        live_updates_checked=back.updates,
    )
    print(f"Cluster fail-over: longest pause {pause:.2f} s, promoted after {promoted:.2f} s")
    assert pause < 30


def test_no_reachable_cluster_node_fails_start_up_in_one_line() -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    line = refused_in_one_line(start({"CRYPTOTRACKER_REDIS_CLUSTER_NODES": nowhere}))
    assert f"no Redis Cluster reachable at {nowhere}" in line


def test_a_server_that_is_not_a_cluster_node_fails_start_up_in_one_line(redis_url: str) -> None:
    """The machine's Redis runs without cluster mode: named as such, not a timeout later."""
    line = refused_in_one_line(start({"CRYPTOTRACKER_REDIS_CLUSTER_NODES": "127.0.0.1:6379"}))
    assert "no Redis Cluster reachable at 127.0.0.1:6379" in line
    assert "Cluster mode is not enabled" in line


async def test_a_manual_fail_over_moves_the_batch_channel_and_the_bus_follows(
    cluster: ClusterSet,
) -> None:
    """`CLUSTER FAILOVER` on the replica of the channel's shard: the old primary stays up (its
    connection does not break) but ends the subscription; the bus subscribes again on the new
    primary and batches keep arriving, each once."""
    links = [RedisLink(redis_clients.cluster([("127.0.0.1", n.port)], None, 1.0))
             for n in cluster.nodes[:2]]  # fmt: skip
    async with BusPair(links).running() as buses:
        await buses.send_until(lambda: len(buses.got) >= 3, "batches over the cluster")
        owner = cluster.owner_of(BATCH_CHANNEL)
        [replica] = [n for n in cluster.nodes if n is not owner and _replica_of(n, owner)]
        replica.client().execute_command("CLUSTER", "FAILOVER")
        moved_at = buses.seq
        await buses.send_until(lambda: cluster.owner_of(BATCH_CHANNEL) is replica, "the fail-over")
        await buses.send_until(lambda: any(s > moved_at + 5 for s in buses.got), "batches after it")


def _replica_of(node: Node, primary: Node) -> bool:
    info = node.client().info("replication")
    return info.get("role") == "slave" and int(info.get("master_port", 0)) == primary.port
