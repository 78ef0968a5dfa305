"""Redis without a single point of failure, as real servers on free ports: a primary, a replica
and three sentinels; or a cluster of three primaries, each with a replica. And what the
fail-over tests check of every client: nothing served twice, time never going back. And a
`cryptotracker serve` that must refuse its configuration in one line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import redis

from cryptotracker.pipeline.batch import Batch
from cryptotracker.pipeline.bus import RedisBus
from cryptotracker.pipeline.redis_link import RedisLink
from tests.cluster.kit import Tracker, Watcher
from tests.support import ROOT, Proc, cli, free_port, port_open, wait_for, wait_until

MASTER = "tracker"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"
# No persistence, full sync without a disk round trip: a replica is ready in a moment.
EPHEMERAL = ["--save", "", "--appendonly", "no", "--repl-diskless-sync", "yes",
             "--repl-diskless-sync-delay", "0", "--bind", "127.0.0.1"]  # fmt: skip


@dataclass
class Node:
    proc: Proc
    port: int

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2)


def _server(name: str, port: int, work: Path, *args: str) -> Node:
    """A redis-server whose files (a replica's received snapshot, nodes.conf) go to `work`."""
    work.mkdir(exist_ok=True)
    args = (*args, "--dir", str(work))
    proc = Proc([REDIS_SERVER, "--port", str(port), *EPHEMERAL, *args], name=name)
    wait_until(lambda: port_open(port) or not proc.alive(), 10, f"{name} on :{port}")
    assert proc.alive(), proc.log()[-2000:]
    return Node(proc, port)


@dataclass
class SentinelSet:
    primary: Node  # as started: a loaded machine may have failed over before the test looks
    replica: Node
    sentinels: list[Node]

    @property
    def setting(self) -> str:
        """CRYPTOTRACKER_REDIS_SENTINELS for these sentinels."""
        return ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)

    def master_port(self) -> int | None:
        """The master's port as the first sentinel that answers names it."""
        for s in self.sentinels:
            with contextlib.suppress(redis.RedisError):
                addr = s.client().sentinel_get_master_addr_by_name(MASTER)
                if addr:
                    return int(addr[1])
        return None

    def master(self) -> redis.Redis:
        port = self.master_port()
        assert port is not None
        return redis.Redis(port=port, socket_timeout=2)


@contextlib.contextmanager
def sentinel_set(tmp: Path, down_after_ms: int = 1000) -> Iterator[SentinelSet]:
    """A primary, its replica, three sentinels (quorum 2) that know each other and the replica:
    ready to fail over `down_after_ms` after the primary goes silent."""
    nodes: list[Node] = []
    try:
        primary = _server("redis-primary", free_port(), tmp / "primary")
        nodes.append(primary)
        replica = _server("redis-replica", free_port(), tmp / "replica", "--replicaof",
                          "127.0.0.1", str(primary.port))  # fmt: skip
        nodes.append(replica)
        sentinels = []
        for i in range(3):
            port = free_port()
            conf = tmp / f"sentinel-{i}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {primary.port} 2\n"
                f"sentinel down-after-milliseconds {MASTER} {down_after_ms}\n"
                f"sentinel failover-timeout {MASTER} 10000\n"
            )
            proc = Proc([REDIS_SERVER, str(conf), "--sentinel"], name=f"sentinel-{i}")
            wait_until(lambda p=port: port_open(p), 10, f"sentinel on :{port}")  # type: ignore[misc]
            sentinels.append(Node(proc, port))
        nodes += sentinels
        wait_until(
            lambda: replica.client().info("replication").get("master_link_status") == "up",
            15, "replica in sync",
        )  # fmt: skip

        def acquainted() -> bool:
            for s in sentinels:
                c = s.client()
                if len(c.sentinel_sentinels(MASTER)) < 2 or not c.sentinel_slaves(MASTER):
                    return False
            return True

        # Sentinels find each other and the replica through the primary's hello channel (every
        # 2 s): before that, a fail-over could not be authorised.
        wait_until(acquainted, 20, "sentinels that know each other and the replica")
        yield SentinelSet(primary, replica, sentinels)
    finally:
        for node in nodes:
            node.proc.stop()


@dataclass
class ClusterSet:
    nodes: list[Node]

    @property
    def setting(self) -> str:
        """CRYPTOTRACKER_REDIS_CLUSTER_NODES: one node is enough, the others are discovered."""
        return f"127.0.0.1:{self.nodes[0].port}"

    def client(self) -> redis.RedisCluster:
        alive = [n for n in self.nodes if n.proc.alive()]
        return redis.RedisCluster(host="127.0.0.1", port=alive[0].port, socket_timeout=2)

    def owner_of(self, key: str) -> Node:
        """The primary that serves `key`'s slot (a channel's too: same hash slots)."""
        c = self.client()
        try:
            node = c.get_node_from_key(key)
            return next(n for n in self.nodes if n.port == node.port)
        finally:
            c.close()

    def healthy(self) -> bool:
        for n in self.nodes:
            if n.proc.alive():
                with contextlib.suppress(redis.RedisError):
                    return _state_ok(n)
        return False


@contextlib.contextmanager
def cluster_set(tmp: Path, node_timeout_ms: int = 1000) -> Iterator[ClusterSet]:
    """Three primaries with a replica each (`redis-cli --cluster create`), every slot covered;
    a primary silent for `node_timeout_ms` is replaced by its replica."""
    nodes: list[Node] = []
    try:
        for i in range(6):
            port = free_port()
            work = tmp / f"cluster-{port}"
            nodes.append(_server(
                f"redis-cluster-{i}", port, work, "--cluster-enabled", "yes",
                "--cluster-config-file", str(work / "nodes.conf"),
                # Its own bus port: the default (port + 10000) may not exist for a free port.
                "--cluster-port", str(free_port()),
                "--cluster-node-timeout", str(node_timeout_ms),
            ))  # fmt: skip
        create = subprocess.run(
            [REDIS_CLI, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in nodes),
             "--cluster-replicas", "1", "--cluster-yes"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert create.returncode == 0, create.stdout + create.stderr
        cluster = ClusterSet(nodes)

        def settled() -> bool:
            # Every node agrees the cluster is ok and sees all six members.
            for n in nodes:
                with contextlib.suppress(redis.RedisError):
                    listed = _text(n.client().execute_command("CLUSTER", "NODES")).splitlines()
                    if not _state_ok(n) or len(listed) < 6:
                        return False
                    continue
                return False
            return True

        wait_until(settled, 20, "a cluster every node agrees on")
        yield cluster
    finally:
        for node in nodes:
            node.proc.stop()


def _text(reply: object) -> str:
    return reply.decode() if isinstance(reply, bytes) else str(reply)


def _state_ok(node: Node) -> bool:
    return "cluster_state:ok" in _text(node.client().execute_command("CLUSTER", "INFO"))


def served_once(watcher: Watcher) -> int:
    """How many live updates a client got, checking that every one was news — none seen twice,
    none older than one it already had from the same source for that symbol."""
    last: dict[tuple[str, str], dict[str, Any]] = {}
    seen = 0
    problems = []
    for arrival in watcher.batches:
        if arrival.snapshot:
            continue
        for u in arrival.updates:
            seen += 1
            key = (u["symbol"], u["source"])
            before = last.get(key)
            if before is not None and (
                u["lastUpdateTime"] < before["lastUpdateTime"] or u == before
            ):
                problems.append((key, before, u))
            last[key] = u
    assert not problems, f"served twice or out of order: {problems[:5]}"
    return seen


def start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`cryptotracker serve` with this configuration, expected to refuse to start."""
    full = {"CRYPTOTRACKER_PORT": str(free_port()), "CRYPTOTRACKER_EXCHANGE": "simulator",
            "CRYPTOTRACKER_WEB_DIST": str(ROOT / "web" / "dist"), **env}  # fmt: skip
    return subprocess.run(
        cli("serve"), env={**_base_env(), **full}, capture_output=True, text=True, timeout=30,
        check=False,
    )  # fmt: skip


def _base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOTRACKER_")}


def refused_in_one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return lines[0]


class BusPair:
    """Two instances' buses on one Redis set-up: `a` publishes numbered batches, `b` records
    the numbers it receives; for fail-overs driven by hand while batches flow."""

    def __init__(self, links: list[RedisLink]) -> None:
        self.links = links
        self.sender = RedisBus(links[0], "a")
        self.receiver = RedisBus(links[1], "b")
        self.got: list[int] = []
        self.receiver.subscribe(lambda batch: self.got.append(batch.seq))
        self.seq = 0

    async def send_until(self, done: Callable[[], bool], what: str) -> None:
        """Publish a batch every 50 ms until `done()` (at most 20 s)."""
        deadline = time.monotonic() + 20
        while not done():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            self.seq += 1
            await self.sender.publish(Batch("a", self.seq, 0, []))
            await asyncio.sleep(0.05)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[BusPair]:
        """The links and the receiver's listener run inside; afterwards every batch must have
        arrived once and in order."""
        async with asyncio.TaskGroup() as tasks:
            runners = [tasks.create_task(link.run()) for link in self.links]
            runners.append(tasks.create_task(self.receiver.run()))
            yield self
            for runner in runners:
                runner.cancel()
        for link in self.links:
            await link.close()
        assert self.got == sorted(set(self.got)), "a batch delivered twice or out of order"


@dataclass
class Recovery:
    """After a primary was killed under two instances' users: seconds until Redis answered on
    every instance, until one ingester held the lease again, until every user had live prices
    over Redis; and how many live updates were checked served once."""

    redis_back: float
    single: float
    end: float
    updates: int


async def recovered(
    killed_at: float,
    trackers: list[Tracker],
    users: list[Watcher],
    lease_agrees: Callable[[], bool],
    read: Callable[[str], bytes | None],
) -> Recovery:
    """Wait for what a fail-over must give back, in order, and check it: Redis on every
    instance, the single ingester the lease names, live prices for every user, a cache written
    after the kill, no user disconnected and nothing served twice. `read` gets a key from
    whatever primary now serves it."""
    await wait_for(
        lambda: all(t.health()["redis"]["status"] == "ok" for t in trackers),
        20, "every instance on Redis again",
    )  # fmt: skip
    redis_back = time.monotonic() - killed_at
    await wait_for(lease_agrees, 20, "one leaseholder again")
    single = time.monotonic() - killed_at
    mark = time.monotonic()
    for user in users:
        await wait_for(lambda u=user: len(u.live(mark)) >= 5, 15, "prices over Redis")
    end = time.monotonic()
    # Known open problem (closing note of stop 18): since this session the lease was seen to
    # disagree again for a moment after the fail-over in two full CI runs; the served-once and
    # no-disconnect checks below still hold. Until it is understood, it must settle again.
    await wait_for(lease_agrees, 10, "one leaseholder after prices flowed")
    cached = read("price:BTCUSDT")
    assert cached is not None
    # Written after the fail-over: the cache lives on the new primary.
    assert orjson.loads(cached)["lastUpdateTime"] / 1000 > time.time() - (end - killed_at)
    assert all(len(u.connects) == 1 for u in users), "a client was disconnected"
    updates = sum(served_once(u) for u in users)
    return Recovery(redis_back, single, end, updates)
