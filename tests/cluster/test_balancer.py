"""Any client through the balancer: nginx sends a session's requests to the instance named by
the route at the start of its session id (`?sid=t2.Qk3x...`), and everything else to any live
instance; no cookies. Real nginx from deploy/, real instances, and the official clients with
their default transports (long-polling first, then the upgrade to WebSocket)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests.cluster.kit import Nginx, Tracker, nginx, nginx_available, simulator, tracker
from tests.conftest import PrivateRedis
from tests.support import ROOT, wait_for, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not nginx_available(), reason="nginx is installed by make test"),
]
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
ROUTES = ["t1", "t2", "t3"]
NODE_CLIENTS = Path(__file__).with_name("node_clients.cjs")
POLLING = "/socket.io/?EIO=4&transport=polling"


@pytest.fixture
def cluster(private_redis: PrivateRedis, tmp_path: Path) -> Iterator[tuple[Nginx, list[Tracker]]]:
    """Simulator, Redis, three instances (routes t1..t3) and nginx in front, prices flowing."""
    with (
        simulator() as sim,
        tracker(sim, private_redis.url, "tracker1", route="t1") as t1,
        tracker(sim, private_redis.url, "tracker2", route="t2") as t2,
        tracker(sim, private_redis.url, "tracker3", route="t3") as t3,
        nginx([t1, t2, t3], tmp_path) as lb,
    ):

        def priced() -> bool:
            return bool(httpx.get(f"{lb.url}/api/prices", timeout=5).json()["prices"])

        wait_until(priced, 30, "prices through nginx")
        yield lb, [t1, t2, t3]


def upstreams(lb: Nginx, path: str, times: int, **params: str) -> list[int]:
    return [lb.upstream_for(path, **params) for _ in range(times)]


def test_a_session_id_goes_to_the_instance_its_route_names(
    cluster: tuple[Nginx, list[Tracker]],
) -> None:
    """Plain HTTP, so it holds whatever session ids the server issues: ?sid=t2.<any> always
    reaches t2; no sid, an unrouted sid or a route that only starts like one is balanced over
    all instances; and nginx sets no cookie."""
    lb, trackers = cluster
    ports = {t.port for t in trackers}
    for t in trackers:
        assert set(upstreams(lb, "/health", 6, sid=f"{t.route}.Qk3x-_9")) == {t.port}
        assert set(upstreams(lb, "/api/prices", 3, sid=f"{t.route}.a", x="1")) == {t.port}
    assert set(upstreams(lb, "/health", 9)) == ports
    for sid in ("Qk3x-_9", "t12.Qk3x", "T1.Qk3x", "t1Qk3x", ".t1.Qk3x"):
        assert set(upstreams(lb, "/health", 9, sid=sid)) == ports, sid
    reply = httpx.get(f"{lb.url}/health", timeout=5)
    assert "set-cookie" not in reply.headers


def test_a_session_of_an_unknown_or_dead_instance_fails_fast(
    cluster: tuple[Nginx, list[Tracker]],
) -> None:
    """A client holding a session id nobody owns gets an answer at once (and handshakes
    again), never a hang; handshakes skip a dead instance."""
    lb, trackers = cluster
    with httpx.Client(base_url=lb.url, timeout=5) as http:
        started = time.monotonic()
        reply = http.get(f"{POLLING}&sid=t9.Qk3x")
        assert reply.status_code == 400 and time.monotonic() - started < 2  # "Invalid session"

        dead = trackers[2]
        dead.proc.kill()
        started = time.monotonic()
        reply = http.get(f"{POLLING}&sid={dead.route}.Qk3x")
        assert reply.status_code == 502 and time.monotonic() - started < 2
        for _ in range(6):
            reply = http.get(POLLING)
            assert reply.status_code == 200, reply.text
            assert not reply.headers["X-Tracker-Upstream"].endswith(f":{dead.port}")


def test_official_node_clients_connect_upgrade_and_get_batches(
    cluster: tuple[Nginx, list[Tracker]],
) -> None:
    """100 socket.io-client (Node) clients, default transports, no cookie jar: every one
    connects through nginx, upgrades to WebSocket and receives a batch_update over it, with
    no reconnect; and they are spread over the three instances."""
    lb, _ = cluster
    node = shutil.which("node")
    assert node, "Node 20 is needed (it builds the web app)"
    assert (ROOT / "web" / "node_modules" / "socket.io-client").is_dir(), "make install-web"
    args = [node, str(NODE_CLIENTS), lb.url, "100", "45000", ",".join(SYMBOLS)]
    run = subprocess.run(args, capture_output=True, text=True, timeout=90, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    seen: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    print("RESULT node clients " + json.dumps(seen))
    assert seen["done"] == 100, seen
    assert seen["connects"] == 100 and seen["disconnects"] == seen["connect_errors"] == 0, seen
    assert sorted(seen["routes"]) == ROUTES, seen


async def test_python_socketio_clients_reach_the_balancer_by_ip_and_upgrade(
    cluster: tuple[Nginx, list[Tracker]],
) -> None:
    """30 python-socketio clients, default transports, the balancer addressed as 127.0.0.1
    (aiohttp keeps no cookies for IP hosts): all connect and upgrade to WebSocket."""
    lb, _ = cluster
    clients = [socketio.AsyncClient(reconnection=False) for _ in range(30)]
    batches = [0] * len(clients)
    for i, client in enumerate(clients):

        async def on_batch(data: Any, i: int = i) -> None:
            batches[i] += 1

        client.on("batch_update", on_batch)
    try:
        async with asyncio.timeout(60):
            outcomes = await asyncio.gather(
                *(c.connect(lb.url, wait_timeout=10) for c in clients), return_exceptions=True
            )
        failed = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        assert not failed, failed
        assert [c.transport() for c in clients] == ["websocket"] * len(clients)
        acks = await asyncio.gather(
            *(c.call("subscribe", {"symbols": SYMBOLS}, timeout=10) for c in clients)
        )
        assert all(ack["ok"] for ack in acks), acks
        await wait_for(lambda: all(batches), 20, "a batch_update on every client")
        routes = sorted({c.eio.sid.partition(".")[0] for c in clients})
        assert routes == ROUTES, [c.eio.sid for c in clients]
        assert all(c.connected and c.transport() == "websocket" for c in clients)
    finally:
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)


def test_the_markets_page_payload_leaves_the_balancer_gzipped(tmp_path: Path) -> None:
    """/api/symbols and /api/prices of every quote market, compressed by nginx for a client that
    accepts gzip (and not for one that does not), the same JSON either way."""
    with (
        simulator(symbols=60, rate=300.0, quotes="USDT,USDC,BTC,EUR,TRY") as sim,
        tracker(sim, None, "tracker1", route="t1") as t1,
        nginx([t1], tmp_path) as lb,
    ):
        wait_until(
            lambda: len(httpx.get(f"{lb.url}/api/prices", timeout=5).json()["prices"]) > 150,
            30,
            "prices of the quote markets through nginx",
        )
        for path in ("/api/symbols", "/api/prices"):
            packed = httpx.get(f"{lb.url}{path}", headers={"accept-encoding": "gzip"}, timeout=5)
            plain = httpx.get(f"{lb.url}{path}", headers={"accept-encoding": "identity"}, timeout=5)
            assert packed.headers["content-encoding"] == "gzip", path
            assert "content-encoding" not in plain.headers, path
            assert packed.json().keys() == plain.json().keys()
            assert len(packed.json()[path.rsplit("/", 1)[1]]) > 150
        assert "content-encoding" not in httpx.get(f"{lb.url}/health", timeout=5).headers
