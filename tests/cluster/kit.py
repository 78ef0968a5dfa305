"""What the cluster and fault tests share: the simulator and tracker instances as real processes,
nginx from deploy/, a watching Socket.IO client that records when each batch arrived, and the
recovery-time record printed at the end of the run."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import json
import re
import shutil
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import socketio

from tests.support import ARTIFACTS, ROOT, Proc, cli, free_port, running, wait_for

RESULTS = ARTIFACTS / "recovery-times.jsonl"
_results: list[dict[str, Any]] = []


def record(fault: str, **measured: Any) -> None:
    """One results line per fault: printed at the end of the run and kept in test-artifacts/."""
    row = {
        "fault": fault,
        **{k: round(v, 3) if isinstance(v, float) else v for k, v in measured.items()},
    }
    _results.append(row)
    ARTIFACTS.mkdir(exist_ok=True)
    with RESULTS.open("a") as out:
        out.write(json.dumps(row) + "\n")
    print("RESULT " + json.dumps(row))


def results() -> list[dict[str, Any]]:
    return list(_results)


def deploy_module() -> ModuleType:
    """deploy/cluster.py (a script, not a package), loaded for its nginx.conf renderer."""
    spec = importlib.util.spec_from_file_location("deploy_cluster", ROOT / "deploy" / "cluster.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def nginx_available() -> bool:
    return shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists()


# ---- processes ---------------------------------------------------------------------------------


@dataclass
class Sim:
    proc: Proc
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fault(self, kind: str, **params: Any) -> dict[str, Any]:
        reply = httpx.get(f"{self.base}/sim/fault", params={"kind": kind, **params}, timeout=5)
        reply.raise_for_status()
        return dict(reply.json())

    def state(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.base}/sim/state", timeout=5).json())

    def set_rate(self, rate: float) -> None:
        httpx.get(f"{self.base}/sim/rate", params={"value": rate}, timeout=5).raise_for_status()

    def last_prices(self, symbols: list[str]) -> dict[str, Decimal]:
        rows = httpx.get(f"{self.base}/api/v3/ticker/24hr", timeout=5).json()
        return {r["symbol"]: Decimal(r["lastPrice"]) for r in rows if r["symbol"] in symbols}


@contextlib.contextmanager
def simulator(symbols: int = 30, rate: float = 150.0, quotes: str = "USDT") -> Iterator[Sim]:
    port = free_port()
    args = cli("simulate", "--port", str(port), "--symbols", str(symbols), "--rate", str(rate),
               "--seed", "11", "--quotes", quotes)  # fmt: skip
    with running(args, port, name="simulator") as proc:
        yield Sim(proc, port)


@contextlib.contextmanager
def coinbase_simulator(symbols: int = 30, rate: float = 150.0) -> Iterator[Sim]:
    """The Coinbase simulator as a process (its /sim/fault controls as the Binance one's)."""
    port = free_port()
    args = [sys.executable, "-m", "cryptotracker.simulator.coinbase", "--port", str(port),
            "--symbols", str(symbols), "--rate", str(rate), "--seed", "11"]  # fmt: skip
    with running(args, port, name="coinbase-simulator") as proc:
        yield Sim(proc, port)


def coinbase_env(coinbase: Sim) -> dict[str, str]:
    """Tracker settings naming Coinbase (its simulator) second in the source order."""
    return {
        "CRYPTOTRACKER_SOURCE_ORDER": "binance,coinbase,coingecko",
        "CRYPTOTRACKER_COINBASE_WS_URL": f"ws://127.0.0.1:{coinbase.port}",
        "CRYPTOTRACKER_COINBASE_REST_URL": f"http://127.0.0.1:{coinbase.port}",
    }


# Shortened policy so a test sees the whole backoff -> breaker -> fallback -> recovery cycle in
# seconds (production: 1 s .. 30 s backoff, breaker after 5 failures for 60 s).
FAST_FEED = {
    "CRYPTOTRACKER_BACKOFF_BASE_MS": "100",
    "CRYPTOTRACKER_BACKOFF_MAX_MS": "800",
    "CRYPTOTRACKER_BACKOFF_JITTER": "0",
    "CRYPTOTRACKER_BREAKER_FAILURE_THRESHOLD": "3",
    "CRYPTOTRACKER_BREAKER_RESET_S": "2",
    "CRYPTOTRACKER_FEED_SILENCE_S": "2",
    "CRYPTOTRACKER_COINGECKO_POLL_S": "1",
    "CRYPTOTRACKER_COINGECKO_CALLS_PER_MIN": "60",
    "CRYPTOTRACKER_WS_OPEN_TIMEOUT_S": "3",
    "CRYPTOTRACKER_REST_TIMEOUT_S": "3",
}


def tracker_env(sim: Sim, redis_url: str | None, port: int, **extra: str) -> dict[str, str]:
    env = {
        "CRYPTOTRACKER_HOST": "127.0.0.1",
        "CRYPTOTRACKER_PORT": str(port),
        "CRYPTOTRACKER_BINANCE_WS_URL": f"ws://127.0.0.1:{sim.port}",
        "CRYPTOTRACKER_BINANCE_WS_FALLBACK_URLS": "",  # the simulator is the only host
        "CRYPTOTRACKER_BINANCE_REST_FALLBACK_URLS": "",
        "CRYPTOTRACKER_BINANCE_REST_URL": f"http://127.0.0.1:{sim.port}",
        "CRYPTOTRACKER_COINGECKO_URL": f"http://127.0.0.1:{sim.port}/coingecko/api/v3",
        "CRYPTOTRACKER_SIMULATOR_FALLBACK": "false",
        # Binance and its fallbacks only: the other exchanges are unreachable here, unless a
        # test points them at their simulators and names them.
        "CRYPTOTRACKER_SOURCE_ORDER": "binance,coingecko,simulator",
        "CRYPTOTRACKER_WEB_DIST": str(ROOT / "web" / "dist"),
        **FAST_FEED,
        **extra,
    }
    if redis_url is not None:
        env["CRYPTOTRACKER_REDIS_URL"] = redis_url
    else:
        env.pop("CRYPTOTRACKER_REDIS_URL", None)
    return env


@dataclass
class Tracker:
    proc: Proc
    port: int
    route: str  # CRYPTOTRACKER_INSTANCE_ROUTE: the start of its session ids, nginx's name for it

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def health(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/health", timeout=5).json())

    def metric(self, name: str) -> float | None:
        text = httpx.get(f"{self.url}/metrics", timeout=5).text
        match = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.M)
        return float(match.group(1)) if match else None

    def ingesting(self) -> bool:
        return self.metric("cryptotracker_ingest_active") == 1.0

    def connections(self) -> int:
        return int(self.metric("cryptotracker_ws_connections") or 0)


@contextlib.contextmanager
def tracker(
    sim: Sim, redis_url: str | None, name: str = "tracker", route: str = "", **extra: str
) -> Iterator[Tracker]:
    port = free_port()
    env = tracker_env(sim, redis_url, port, CRYPTOTRACKER_INSTANCE_ROUTE=route, **extra)
    with running(cli("serve"), port, env=env, name=name) as proc:
        yield Tracker(proc, port, route)


@dataclass
class Nginx:
    proc: Proc
    port: int
    prefix: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def upstream_for(self, path: str = "/health", **params: str) -> int:
        """Which instance port nginx sends this request to (its X-Tracker-Upstream)."""
        reply = httpx.get(f"{self.url}{path}", params=params, timeout=5)
        return int(reply.headers["X-Tracker-Upstream"].rsplit(":", 1)[1])


@contextlib.contextmanager
def nginx(trackers: list[Tracker], tmp: Path) -> Iterator[Nginx]:
    """nginx from deploy/ in front of these instances, each under its route."""
    deploy = deploy_module()
    port = free_port()
    prefix = tmp / "nginx"
    upstreams = {t.route: f"127.0.0.1:{t.port}" for t in trackers}
    conf = deploy.write_nginx_conf(prefix, f"127.0.0.1:{port}", upstreams)
    with running(deploy.nginx_command(prefix, conf), port, name="nginx") as proc:
        yield Nginx(proc, port, prefix)


# ---- a client that watches ---------------------------------------------------------------------


@dataclass
class Arrival:
    at: float  # time.monotonic() when it arrived
    snapshot: bool
    updates: list[dict[str, Any]]


@dataclass
class Watcher:
    """A python-socketio client that reconnects by itself (as the web app does), subscribes again
    on every connect, and records every batch with its arrival time."""

    symbols: list[str]
    headers: dict[str, str] = field(default_factory=dict)
    batches: list[Arrival] = field(default_factory=list)
    statuses: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    connects: list[float] = field(default_factory=list)
    disconnects: list[float] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (arrival, seconds)

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1.0,
            randomization_factor=0.2,
        )  # fmt: skip
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("batch_update", self._on_batch)
        self.sio.on("connection_status", self._on_status)
        self.sio.on("error", self._on_error)

    async def _on_connect(self) -> None:
        self.connects.append(time.monotonic())
        await self.sio.emit("subscribe", {"symbols": self.symbols})

    async def _on_disconnect(self, reason: Any = None) -> None:
        self.disconnects.append(time.monotonic())

    async def _on_batch(self, env: dict[str, Any]) -> None:
        now = time.monotonic()
        data = env["data"]
        self.batches.append(Arrival(now, bool(data.get("snapshot")), data["updates"]))
        if not data.get("snapshot") and data["updates"]:
            oldest = min(u["lastUpdateTime"] for u in data["updates"])
            self.latencies.append((now, time.time() - oldest / 1000))

    async def _on_status(self, env: dict[str, Any]) -> None:
        self.statuses.append((time.monotonic(), env["data"]))

    async def _on_error(self, env: dict[str, Any]) -> None:
        self.errors.append(env["data"])

    async def connect(self, url: str) -> None:
        await self.sio.connect(url, transports=["websocket"], headers=self.headers, wait_timeout=10)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()

    # ---- what the user saw ----

    def live(self, after: float = 0.0) -> list[Arrival]:
        return [b for b in self.batches if not b.snapshot and b.at > after and b.updates]

    def first_batch_after(self, t: float, *, live: bool = False) -> float | None:
        for b in self.batches:
            if b.at > t and b.updates and (not live or not b.snapshot):
                return b.at
        return None

    def longest_gap(self, start: float, end: float) -> float:
        """Longest time without a batch between `start` and `end`."""
        times = [start] + [b.at for b in self.batches if start < b.at < end and b.updates] + [end]
        return max(b - a for a, b in itertools.pairwise(times))

    def latest(self) -> dict[str, dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for b in self.batches:
            for u in b.updates:
                seen[u["symbol"]] = u
        return seen

    def sources(self, after: float = 0.0) -> set[str]:
        return {u["source"] for b in self.batches if b.at > after for u in b.updates}


async def wait_live(watcher: Watcher, count: int = 3, timeout: float = 20) -> None:
    start = time.monotonic()
    await wait_for(lambda: len(watcher.live(start)) >= count, timeout, f"{count} live batches")


async def converged(
    watchers: list[Watcher], sim: Sim, symbols: list[str], timeout: float = 15
) -> None:
    """Stop the market, then wait until every watcher's last price of every symbol is the
    exchange's: no update was lost for good, whatever happened before."""
    sim.set_rate(0)
    truth = await asyncio.to_thread(sim.last_prices, symbols)

    def agree() -> bool:
        for w in watchers:
            latest = w.latest()
            for s in symbols:
                if s not in latest or Decimal(latest[s]["price"]) != truth[s]:
                    return False
        return True

    deadline = time.monotonic() + timeout
    while not agree():
        if time.monotonic() > deadline:
            got = [{s: w.latest().get(s, {}).get("price") for s in symbols} for w in watchers]
            raise AssertionError(f"clients did not converge on {truth}: {got}")
        await asyncio.sleep(0.1)
        truth = await asyncio.to_thread(sim.last_prices, symbols)


@contextlib.asynccontextmanager
async def watching(*watchers: Watcher) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await asyncio.gather(*(w.close() for w in watchers))


async def connections(trackers: list[Tracker]) -> list[int]:
    return list(await asyncio.gather(*(asyncio.to_thread(t.connections) for t in trackers)))


@contextlib.asynccontextmanager
async def placed(
    lb: Nginx, trackers: list[Tracker], wanted: dict[int, int], symbols: list[str]
) -> AsyncIterator[dict[int, list[Watcher]]]:
    """Watchers connected through nginx, as users arrive, one at a time until every instance
    (by port) in `wanted` holds at least that many; yields them by instance port, closes all
    at the end. Which instance took each one: the one whose connection count rose."""
    made: list[Watcher] = []
    by_port: dict[int, list[Watcher]] = {t.port: [] for t in trackers}
    try:
        attempts = 4 * sum(wanted.values()) + len(trackers)
        while not all(len(by_port[port]) >= n for port, n in wanted.items()):
            if len(made) >= attempts:
                raise AssertionError(f"nginx never placed {wanted}: {by_port}")
            before = await connections(trackers)
            watcher = Watcher(symbols)
            made.append(watcher)
            await watcher.connect(lb.url)
            deadline = time.monotonic() + 5
            while (after := await connections(trackers)) == before:
                if time.monotonic() > deadline:
                    raise TimeoutError("no instance counted the new connection")
                await asyncio.sleep(0.02)
            [i] = [i for i, (a, b) in enumerate(zip(after, before, strict=True)) if a != b]
            assert after[i] == before[i] + 1, (before, after)
            by_port[trackers[i].port].append(watcher)
        yield by_port
    finally:
        await asyncio.gather(*(w.close() for w in made))
