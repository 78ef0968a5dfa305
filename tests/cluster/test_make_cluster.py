"""`make cluster` itself (deploy/cluster.py): Redis, three instances, Prometheus and nginx come
up from the checkout, serve the dashboard and Socket.IO through nginx, and all stop on Ctrl-C."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.cluster.kit import nginx_available
from tests.harness import Recorder
from tests.support import Proc, free_port, port_open, wait_async, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not nginx_available(), reason="nginx is installed by make test"),
]


async def test_cluster_serves_through_nginx_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    """The user opens http://127.0.0.1:8080 (here a free port): the dashboard loads, prices
    stream over WebSocket, over long-polling and with the default transports (polling, then
    the upgrade), a session's requests reaching its instance by its route; and Ctrl-C leaves
    nothing running."""
    listen, redis_port, prometheus = free_port(), free_port(), free_port()
    # Independent free ports: consecutive ones could be taken by a demo instance's simulator.
    instances = [free_port(), free_port(), free_port()]
    ports = [listen, redis_port, prometheus, *instances]
    if any(port_open(p) for p in ports):
        pytest.skip("a port of the cluster is taken")
    args = [
        sys.executable, "deploy/cluster.py", "--exchange", "simulator", "--listen",
        f"127.0.0.1:{listen}", "--ports", ",".join(map(str, instances)),
        "--redis-port", str(redis_port), "--prometheus-port", str(prometheus),
        "--dir", str(tmp_path / "cluster"),
    ]  # fmt: skip
    # A short heartbeat: python-socketio's polling client holds its disconnect for one.
    heartbeat = {"CRYPTOTRACKER_HEARTBEAT_S": "2", "CRYPTOTRACKER_HEARTBEAT_TIMEOUT_S": "2"}
    cluster = Proc(args, env=heartbeat, name="cluster")
    try:
        wait_until(lambda: "cluster up" in cluster.log() or not cluster.alive(), 60, "cluster up")
        assert cluster.alive(), cluster.log()
        url = f"http://127.0.0.1:{listen}"
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            page = await http.get("/")
            if (Path(__file__).parents[2] / "web" / "dist" / "index.html").exists():
                assert page.status_code == 200 and "<html" in page.text.lower()
            upstreams = set()
            for _ in range(12):
                reply = await http.get("/health")
                assert "set-cookie" not in reply.headers
                upstreams.add(reply.headers["X-Tracker-Upstream"])
            assert len(upstreams) >= 2  # new visitors are spread over the instances
            # Instance i has route ti: nginx sends ?sid=ti.<anything> there.
            for i, port in enumerate(instances, start=1):
                reply = await http.get("/health", params={"sid": f"t{i}.Qk3x"})
                assert reply.headers["X-Tracker-Upstream"] == f"127.0.0.1:{port}"

            async def priced() -> bool:
                return bool((await http.get("/api/prices")).json()["prices"])

            await wait_async(priced, 60, "prices through nginx")

        # Long-polling needs every request of a session on one instance: its session id says
        # which (no cookie, so the balancer's IP address works as well as a host name).
        for transports in (["websocket"], ["polling"], ["polling", "websocket"]):
            user = Recorder()
            await user.sio.connect(url, transports=transports, wait_timeout=10)
            assert user.sio.transport() == transports[-1]
            assert user.sio.eio.sid.partition(".")[0] in {"t1", "t2", "t3"}  # cluster.py's routes
            ack = await user.call("subscribe", {"symbols": ["BTCUSDT"]})
            assert ack["ok"], ack
            await user.wait("batch_update", count=2, timeout=30)
            await user.close()
    finally:
        cluster.signal(signal.SIGINT)  # Ctrl-C reaches the supervisor only
        with contextlib.suppress(subprocess.TimeoutExpired):
            cluster.popen.wait(40)
        code = cluster.stop()
    log = cluster.log_path.read_text()
    assert code == 0, log[-3000:]
    assert "stopped cleanly" in log and "with exit code" not in log, log[-3000:]
    assert not any(port_open(p) for p in ports)
