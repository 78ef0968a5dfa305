"""`make cluster` supervises (deploy/cluster.py): a member killed with kill -9 is restarted
alone while the others go on serving, and nothing it started outlives it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.cluster.kit import (
    Watcher,
    deploy_module,
    nginx_available,
    record,
    wait_live,
    watching,
)
from tests.support import Proc, free_port, port_open, wait_async, wait_for, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not nginx_available(), reason="nginx is installed by make test"),
]

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
# A light simulator: the test is about processes, not throughput (2 cores).
LIGHT = {"CRYPTOTRACKER_SIMULATOR_SYMBOLS": "30", "CRYPTOTRACKER_SIMULATOR_RATE": "100"}


def _cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


def _ppid(pid: int) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return None


def children_of(parent: int, command: str) -> set[int]:
    """The children of this process whose command line holds `command`."""
    pids = {int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()}
    return {p for p in pids if _ppid(p) == parent and command in _cmdline(p)}


def simulators_of(parent: int) -> set[int]:
    return children_of(parent, "cryptotracker simulate")


def alive(pid: int) -> bool:
    """Running and not a zombie (a killed child its parent has not reaped yet counts as gone)."""
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


@dataclass
class Running:
    proc: Proc
    listen: int
    redis: int
    prometheus: int
    instances: list[int]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listen}"

    def pid(self, name: str) -> int:
        """The member's current pid, from the supervisor's last line naming it."""
        pattern = rf"^(?:\s*{name}\s+:\d+\s+pid|{name} restarting \(pid) (\d+)"
        found = re.findall(pattern, self.proc.log(), re.M)
        assert found, f"no pid for {name}"
        return int(found[-1])

    def ingesting(self) -> list[int]:
        """Ports of the instances that hold the feed now."""
        out = []
        for port in self.instances:
            with contextlib.suppress(httpx.HTTPError):
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                if re.search(r"^cryptotracker_ingest_active 1\.0$", text, re.M):
                    out.append(port)
        return out

    def health(self, port: int) -> dict[str, object]:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            return dict(httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json())
        return {}

    def healthy(self, port: int) -> bool:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
        return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    listen, redis, prometheus = free_port(), free_port(), free_port()
    instances = [free_port(), free_port(), free_port()]
    if any(port_open(p) for p in [listen, redis, prometheus, *instances]):
        pytest.skip("a port of the cluster is taken")
    args = [
        sys.executable, "deploy/cluster.py", "--exchange", "simulator", "--listen",
        f"127.0.0.1:{listen}", "--ports", ",".join(map(str, instances)),
        "--redis-port", str(redis), "--prometheus-port", str(prometheus),
        "--dir", str(tmp_path_factory.mktemp("cluster")),
    ]  # fmt: skip
    proc = Proc(args, env=LIGHT, name="supervised-cluster")
    running = Running(proc, listen, redis, prometheus, instances)
    try:
        wait_until(lambda: "cluster up" in proc.log() or not proc.alive(), 60, "cluster up")
        assert proc.alive(), proc.log()
        wait_until(lambda: len(running.ingesting()) == 1, 30, "one ingesting instance")
        yield running
    finally:
        proc.signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(40)
        code = proc.stop()
        log = proc.log_path.read_text()
        assert code == 0, log[-3000:]
        assert not any(port_open(p) for p in [listen, redis, prometheus, *instances]), log[-3000:]


async def connect_all(url: str, n: int) -> list[Watcher]:
    watchers = [Watcher(SYMBOLS) for _ in range(n)]
    for w in watchers:
        await w.connect(url)
    await asyncio.gather(*(wait_live(w, 2, 30) for w in watchers))
    return watchers


def route_of(w: Watcher) -> str:
    return str(w.sio.eio.sid).partition(".")[0]


@pytest.mark.timeout(180)
async def test_killed_ingester_restarts_alone_and_leaves_no_simulator(cluster: Running) -> None:
    """kill -9 of the ingesting instance while users are connected: users elsewhere stay
    connected and get prices again, the lease moves to a new holder, the killed one is serving
    again within 10 s, and its simulator died with it."""
    [port] = cluster.ingesting()
    i = cluster.instances.index(port) + 1
    pid = cluster.pid(f"tracker{i}")
    killed = cluster.health(port)["instance"]
    sims = simulators_of(pid)
    assert sims, f"the ingesting instance runs no simulator: {cluster.proc.log()[-2000:]}"
    watchers = await connect_all(cluster.url, 9)
    async with watching(*watchers):
        others = [w for w in watchers if route_of(w) != f"t{i}"]
        assert others, "nginx put every user on the ingesting instance"
        before = {id(w): len(w.disconnects) for w in others}
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)  # the instance alone: its simulator must follow by itself

        line = f"tracker{i} exited (-9); restarting in 0.5 s"

        async def since_kill(check: Callable[[], bool], timeout: float, what: str) -> float:
            """Seconds from the kill until `check` holds (checked off the event loop)."""
            deadline = t0 + timeout
            while not await asyncio.to_thread(check):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{what}: not within {timeout} s of the kill")
                await asyncio.sleep(0.05)
            return time.monotonic() - t0

        def restarted() -> bool:
            return cluster.pid(f"tracker{i}") != pid

        def taken_over() -> bool:
            """One ingester, and a new lease holder: another instance, or the killed one
            restarted (a new id) when it came back before the lease expired."""
            now = cluster.ingesting()
            return len(now) == 1 and cluster.health(now[0]).get("instance") not in (None, killed)

        # Watched side by side: each figure is its own time from the kill.
        sim_gone, _, takeover, listening, back = await asyncio.gather(
            since_kill(lambda: not any(alive(s) for s in sims), 5, "simulator gone"),
            since_kill(lambda: line in cluster.proc.log(), 5, line),
            since_kill(taken_over, 20, "another instance ingesting"),
            since_kill(lambda: restarted() and port_open(port), 10, "the instance listening"),
            since_kill(lambda: restarted() and cluster.healthy(port), 10, "the instance serving"),
        )
        assert back < 10
        await wait_for(lambda: f"tracker{i} serving again" in cluster.proc.log(), 5, "its line")
        assert cluster.pid(f"tracker{i}") != pid

        await asyncio.gather(*(wait_live(w, 2, 20) for w in watchers))
        resumed = max(w.first_batch_after(t0, live=True) or 0 for w in others) - t0
        assert all(len(w.disconnects) == before[id(w)] for w in others)
        longest = max(w.longest_gap(t0, time.monotonic()) for w in others)
        [holder] = cluster.ingesting()
    record(
        "supervisor: kill -9 of the ingesting instance (3 instances, 9 users)",
        simulator_gone_s=sim_gone,
        takeover_s=takeover,
        taken_by="the restarted instance" if holder == port else "another instance",
        killed_instance_listening_s=listening,
        killed_instance_serving_again_s=back,
        others_live_again_s=resumed,
        others_longest_gap_s=longest,
    )


@pytest.mark.timeout(180)
async def test_killed_redis_restarts_and_one_ingester_returns(cluster: Running) -> None:
    """kill -9 of Redis: users keep receiving without a reconnect, the supervisor starts Redis
    again, and the instances settle on one ingester again."""
    watchers = await connect_all(cluster.url, 6)
    async with watching(*watchers):
        before = [len(w.disconnects) for w in watchers]
        pid = cluster.pid("redis")
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        line = "redis exited (-9); restarting in 0.5 s"
        await wait_for(lambda: line in cluster.proc.log(), 5, line)
        await wait_for(lambda: port_open(cluster.redis), 10, "Redis listening again")
        restarted = time.monotonic() - t0

        # One ingester, and still one for a second: settled, not a moment of the hand-over.
        single_since: float | None = None
        deadline = time.monotonic() + 30
        while single_since is None or time.monotonic() - single_since < 1.0:
            assert time.monotonic() < deadline, "never one ingester again"
            one = len(await asyncio.to_thread(cluster.ingesting)) == 1
            single_since = (single_since or time.monotonic()) if one else None
            await asyncio.sleep(0.1)
        single = single_since - t0
        await asyncio.gather(*(wait_live(w, 3, 20) for w in watchers))
        end = time.monotonic()
        assert [len(w.disconnects) for w in watchers] == before
        longest = max(w.longest_gap(t0, end) for w in watchers)
    record(
        "supervisor: kill -9 of Redis (3 instances, 6 users)",
        redis_listening_again_s=restarted,
        single_ingester_again_s=single,
        longest_gap_s=longest,
        reconnects=0,
    )


@pytest.mark.timeout(120)
async def test_killed_nginx_restarts_without_its_old_workers(cluster: Running) -> None:
    """kill -9 of nginx's master leaves its workers holding the port: the supervisor kills
    them, starts nginx again, and users reconnect through it."""
    master = cluster.pid("nginx")
    workers = children_of(master, "nginx")
    assert workers
    watchers = await connect_all(cluster.url, 3)
    async with watching(*watchers):
        t0 = time.monotonic()
        os.kill(master, signal.SIGKILL)
        await wait_for(lambda: "nginx exited (-9); restarting in 0.5 s" in cluster.proc.log(), 5,
                       "the supervisor's line")  # fmt: skip
        await wait_for(lambda: not any(alive(w) for w in workers), 5, "old workers gone")
        await wait_for(lambda: "nginx serving again" in cluster.proc.log(), 10, "nginx again")
        back = time.monotonic() - t0
        async with httpx.AsyncClient(base_url=cluster.url, timeout=5) as http:
            assert (await http.get("/health")).status_code == 200
        await asyncio.gather(*(wait_live(w, 2, 20) for w in watchers))
        users_back = max(w.first_batch_after(t0, live=True) or 0 for w in watchers) - t0
    record("supervisor: kill -9 of nginx", nginx_serving_again_s=back, users_live_s=users_back)


async def test_killed_prometheus_restarts_alone_and_scrapes_again(cluster: Running) -> None:
    """kill -9 of Prometheus: the supervisor starts it again (users never notice), and it
    scrapes every instance again."""
    pid = cluster.pid("prometheus")
    t0 = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    line = "prometheus exited (-9); restarting in 0.5 s"
    await wait_for(lambda: line in cluster.proc.log(), 5, line)
    await wait_for(lambda: "prometheus serving again" in cluster.proc.log(), 30, "Prometheus again")
    back = time.monotonic() - t0
    prom = f"http://127.0.0.1:{cluster.prometheus}"
    async with httpx.AsyncClient(base_url=prom, timeout=5) as http:

        async def scraping() -> bool:
            answer = await http.get("/api/v1/query", params={"query": "sum(up)"})
            result = answer.json()["data"]["result"]
            return bool(result) and float(result[0]["value"][1]) == len(cluster.instances)

        await wait_async(scraping, 30, "every instance scraped again")
    assert all(alive(cluster.pid(f"tracker{i}")) for i in (1, 2, 3))
    record("supervisor: kill -9 of Prometheus", prometheus_serving_again_s=back)


# The owner of launch.simulator_process alone, without the supervisor that would also reap it.
OWNER = """
import asyncio
from cryptotracker.simulator.launch import simulator_process

async def main():
    async with simulator_process(10, 10.0) as (ws, _):
        print("simulator", ws, flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_simulator_dies_with_its_owner_on_kill_9() -> None:
    """kill -9 of the process that started the simulator takes the simulator with it (the
    kernel's parent-death signal), with no supervisor to clean up."""
    owner = Proc([sys.executable, "-c", OWNER], name="simulator-owner")
    try:
        await wait_for(lambda: "simulator ws://" in owner.log(), 30, "the simulator started")
        sims = simulators_of(owner.pid)
        assert len(sims) == 1, owner.log()
        t0 = time.monotonic()
        os.kill(owner.pid, signal.SIGKILL)  # the owner alone, not its process group
        await wait_for(lambda: not any(alive(s) for s in sims), 5, "the simulator gone")
        record("simulator after kill -9 of its owner", gone_s=time.monotonic() - t0)
    finally:
        owner.stop()


def test_restart_backoff_doubles_to_its_cap_and_resets_after_a_stable_run() -> None:
    backoff = deploy_module().Backoff()
    assert [backoff.next_delay(1.0) for _ in range(7)] == [0.5, 1, 2, 4, 8, 10, 10]
    assert backoff.next_delay(backoff.STABLE_S) == 0.5  # up long enough: a fresh start
