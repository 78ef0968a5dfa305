"""The Redis clients of one instance, built from settings — one server, Sentinel or Cluster —
behind one face, so the rest of the pipeline does not care which: commands, publishing,
subscribing, a health check, and a start-up check that turns bad configuration into one line."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff
from redis.exceptions import PubSubError, RedisClusterException, RedisError
from redis.utils import str_if_bytes

from cryptotracker.sentry import redact
from cryptotracker.settings import Settings

Client = aioredis.Redis | RedisCluster
Mode = Literal["single", "sentinel", "cluster"]
# The pub/sub read waits this long for a message before looking again (cluster mode polls
# every shard's connection; one server and Sentinel block on their one connection).
SHARDED_POLL_S = 0.5
# A sentinel that has not answered the start-up check by then counts as unreachable (redis-py
# would retry it with backoff for seconds).
VERIFY_TIMEOUT_S = 2.0


# What a Redis call raises when Redis (or part of a cluster) is away: the caller counts Redis
# down and carries on from memory. (A cluster without a reachable node, or with a slot that no
# primary serves, raises RedisClusterException, which is not a RedisError.)
FAILURES: tuple[type[Exception], ...] = (RedisError, RedisClusterException, OSError)
FAILURES_OR_TIMEOUT: tuple[type[Exception], ...] = (*FAILURES, TimeoutError)


class RedisConfigError(Exception):
    """Redis is configured in a way that cannot work; the message is one line: what and where."""


class RedisClients:
    """A command client (every call bounded by `call_timeout_s`) and a pub/sub client (its reads
    wait for messages, so no read timeout), plus what differs between the modes."""

    def __init__(self, mode: Mode, where: str, client: Client, pubsub_client: Client) -> None:
        self.mode = mode
        self.where = where
        self.client = client
        self.pubsub_client = pubsub_client
        self.sentinel: Sentinel | None = None
        self.master_name = ""
        # Cluster mode: how to make a subscription's own client, and where to start looking.
        self._pubsub_kwargs: dict[str, Any] = {}
        self._startup: list[tuple[str, int]] = []

    def publish(self, pipe: Pipeline | ClusterPipeline, channel: str, payload: bytes) -> None:
        """Queue one message on `pipe`: the cluster's sharded pub/sub (SPUBLISH: the channel
        lives on the shard owning its slot, which fails over with it), else PUBLISH."""
        command = "SPUBLISH" if self.mode == "cluster" else "PUBLISH"
        pipe.execute_command(command, channel, payload)

    @contextlib.asynccontextmanager
    async def subscription(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """Subscribed to `channel` on entering; yields the payloads as they come. A lost
        connection raises (RedisError/OSError) out of the iteration: the caller resubscribes."""
        if self.mode == "cluster":
            async with self._sharded(channel) as messages:
                yield messages
            return
        pubsub = self.pubsub_client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            yield _messages(pubsub)
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    @contextlib.asynccontextmanager
    async def _sharded(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """SSUBSCRIBE on the primary that owns the channel's slot now. A client of its own per
        subscription, with the topology learned afresh: after a fail-over the slot has a new
        owner, and another subscription's client must not be closed under it."""
        assert isinstance(self.client, RedisCluster)
        known = [(n.host, n.port) for n in self.client.get_nodes()] + self._startup
        own = RedisCluster(
            startup_nodes=[ClusterNode(h, p) for h, p in dict.fromkeys(known)],
            **self._pubsub_kwargs,
        )
        try:
            await own.initialize()
            sharded = own.pubsub()
            try:
                await sharded.ssubscribe(channel)
                yield _sharded_messages(sharded)
            finally:
                await sharded.aclose()
        finally:
            await own.aclose()

    async def ping(self) -> None:
        """Raises unless Redis serves now: a cluster must also say its state is ok (a shard
        without a primary is down for the keys and channels it owns)."""
        if isinstance(self.client, RedisCluster):
            # Every primary answers (a dead one is dropped from the topology by the failure,
            # so the next ping sees its successor), and the cluster says it serves every slot.
            await self.client.ping(target_nodes=RedisCluster.PRIMARIES)
            info = await self.client.cluster_info(target_nodes=RedisCluster.RANDOM)
            if str(info.get("cluster_state")) != "ok":
                raise RedisError(f"cluster state {info.get('cluster_state')}")
            return
        await self.client.ping()

    async def mget(self, client: Client, keys: Sequence[Any]) -> list[Any]:
        """Values of keys that may live on different shards."""
        if isinstance(client, RedisCluster):
            return list(await client.mget_nonatomic(keys))
        return list(await client.mget(keys))

    async def verify(self) -> None:
        """Start-up check of what only a server can tell (the address itself was checked by
        the settings): some sentinel answers and knows the master by its name; some cluster
        node answers, as a node of a cluster."""
        if isinstance(self.client, RedisCluster):
            try:
                await self.client.initialize()
            except FAILURES as exc:
                reason = " ".join(str(exc).split())
                raise RedisConfigError(
                    f"redis: no Redis Cluster reachable at {self.where} "
                    f"(CRYPTOTRACKER_REDIS_CLUSTER_NODES): {reason}"
                ) from None
            return
        if self.sentinel is None:
            return
        answered = []
        for sentinel in self.sentinel.sentinels:
            try:
                async with asyncio.timeout(VERIFY_TIMEOUT_S):
                    masters = await sentinel.sentinel_masters()
            except FAILURES_OR_TIMEOUT:
                continue
            answered.append(masters)
            if self.master_name in masters:
                return
        if not answered:
            raise RedisConfigError(
                f"redis: no sentinel reachable at {self.where} (CRYPTOTRACKER_REDIS_SENTINELS)"
            )
        known = sorted({str(name) for masters in answered for name in masters})
        raise RedisConfigError(
            f"redis: sentinel master {self.master_name!r} does not exist at {self.where} "
            f"(CRYPTOTRACKER_REDIS_SENTINEL_MASTER; the sentinels know {known or 'none'})"
        )

    async def aclose(self) -> None:
        await self.client.aclose()
        if self.pubsub_client is not self.client:
            await self.pubsub_client.aclose()
        if self.sentinel is not None:
            for sentinel in self.sentinel.sentinels:
                await sentinel.aclose()


async def _messages(pubsub: aioredis.client.PubSub) -> AsyncIterator[bytes]:
    async for message in pubsub.listen():
        if message.get("type") == "message":
            yield message["data"]


async def _sharded_messages(pubsub: Any) -> AsyncIterator[bytes]:
    while True:
        message = await pubsub.get_sharded_message(timeout=SHARDED_POLL_S)
        kind = None if message is None else str_if_bytes(message.get("type"))
        if kind == "smessage":
            yield message["data"]
        elif kind == "sunsubscribe":
            # The server ended the subscription: its slot moved (a manual fail-over, or
            # resharding) while the node stayed up. Nothing more would come here.
            raise PubSubError("shard channel moved to another node")


def single_server(url: str, call_timeout_s: float) -> RedisClients:
    """One Redis server by URL (checked by the settings)."""
    client = aioredis.from_url(
        url, socket_timeout=call_timeout_s, socket_connect_timeout=call_timeout_s
    )
    pubsub = aioredis.from_url(url, socket_connect_timeout=call_timeout_s, socket_keepalive=True)
    return RedisClients("single", redact(url), client, pubsub)


def sentinel_master(
    sentinels: list[tuple[str, int]], master: str, password: str | None, call_timeout_s: float
) -> RedisClients:
    """The master that these sentinels name `master`, found again after every fail-over."""
    # One try per sentinel: asking the next one beats retrying one that is down.
    ask = {"socket_timeout": call_timeout_s, "socket_connect_timeout": call_timeout_s,
           "retry": Retry(NoBackoff(), 0)}  # fmt: skip
    sentinel = Sentinel(sentinels, sentinel_kwargs=ask, password=password)  # type: ignore[no-untyped-call]
    client = sentinel.master_for(
        master, socket_timeout=call_timeout_s, socket_connect_timeout=call_timeout_s
    )
    pubsub = sentinel.master_for(
        master, socket_connect_timeout=call_timeout_s, socket_keepalive=True
    )
    where = ",".join(f"{h}:{p}" for h, p in sentinels)
    clients = RedisClients("sentinel", where, client, pubsub)
    clients.sentinel = sentinel
    clients.master_name = master
    return clients


def cluster(
    nodes: list[tuple[str, int]], password: str | None, call_timeout_s: float
) -> RedisClients:
    """A Redis Cluster reached through any of `nodes` (the others are discovered)."""
    startup = [ClusterNode(h, p) for h, p in nodes]
    client = RedisCluster(
        startup_nodes=startup, password=password,
        socket_timeout=call_timeout_s, socket_connect_timeout=call_timeout_s,
    )  # fmt: skip
    pubsub_kwargs: dict[str, Any] = {
        "password": password, "socket_connect_timeout": call_timeout_s, "socket_keepalive": True,
    }  # fmt: skip
    where = ",".join(f"{h}:{p}" for h, p in nodes)
    # Each subscription makes its own client (see `_sharded`).
    clients = RedisClients("cluster", where, client, client)
    clients._pubsub_kwargs = pubsub_kwargs
    clients._startup = list(nodes)
    return clients


def build(settings: Settings, call_timeout_s: float) -> RedisClients | None:
    """The clients the settings ask for; None without Redis (in-memory cache, in-process bus)."""
    password = settings.redis_password.get_secret_value() if settings.redis_password else None
    if settings.redis_sentinels:
        return sentinel_master(
            settings.redis_sentinel_endpoints, settings.redis_sentinel_master, password,
            call_timeout_s,
        )  # fmt: skip
    if settings.redis_cluster_nodes:
        return cluster(settings.redis_cluster_endpoints, password, call_timeout_s)
    if settings.redis_url:
        return single_server(settings.redis_url, call_timeout_s)
    return None
