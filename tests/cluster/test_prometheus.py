"""`make cluster` with Prometheus for real: it scrapes every instance, and every expression of
the provisioned Grafana dashboard and every alerting rule evaluates through Prometheus' HTTP
API without an error, no panel empty; a Prometheus port that is taken fails start-up with one
line."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.cluster.kit import nginx_available
from tests.harness import Recorder
from tests.support import ROOT, Proc, free_port, port_open, wait_async, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not nginx_available(), reason="nginx is installed by make test"),
]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "cryptotracker.json"
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"


def panels() -> dict[str, list[str]]:
    """Panel title -> its PromQL expressions."""
    board = json.loads(DASHBOARD.read_text())
    return {p["title"]: [t["expr"] for t in p["targets"]] for p in board["panels"]}


def rule_exprs() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {r.get("alert") or r["record"]: r["expr"] for g in groups for r in g["rules"]}


@contextlib.contextmanager
def cluster(tmp: Path, *extra: str) -> Iterator[tuple[Proc, dict[str, int]]]:
    ports = {"listen": free_port(), "redis": free_port(), "prometheus": free_port()}
    instances = [free_port(), free_port()]
    args = [
        sys.executable, "deploy/cluster.py", "--exchange", "simulator",
        "--listen", f"127.0.0.1:{ports['listen']}", "--ports", ",".join(map(str, instances)),
        "--redis-port", str(ports["redis"]), "--prometheus-port", str(ports["prometheus"]),
        "--scrape-interval", "1s", "--dir", str(tmp / "cluster"), *extra,
    ]  # fmt: skip
    proc = Proc(args, name="cluster")
    try:
        yield proc, ports
    finally:
        proc.signal(signal.SIGINT)  # Ctrl-C reaches the supervisor only
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.popen.wait(40)
        proc.stop()
    assert not any(port_open(p) for p in [*ports.values(), *instances]), proc.log()[-3000:]


async def query(prom: httpx.AsyncClient, expr: str) -> dict[str, Any]:
    """One instant query; the whole answer (status, and the result or the error)."""
    answer: dict[str, Any] = (await prom.get("/api/v1/query", params={"query": expr})).json()
    return answer


async def data(prom: httpx.AsyncClient, path: str) -> Any:
    return (await prom.get(path)).json()["data"]


async def test_prometheus_scrapes_every_instance_and_no_panel_or_rule_is_empty_or_broken(
    tmp_path: Path,
) -> None:
    board, rules = panels(), rule_exprs()

    async def empty_panels(prom: httpx.AsyncClient) -> list[str]:
        return [
            title
            for title, exprs in board.items()
            if not any([(await query(prom, e))["data"]["result"] for e in exprs])
        ]

    with cluster(tmp_path) as (proc, ports):
        wait_until(lambda: "cluster up" in proc.log() or not proc.alive(), 90, "cluster up")
        assert proc.alive(), proc.log()[-3000:]
        assert f"alerts: http://127.0.0.1:{ports['prometheus']}/alerts" in proc.log()
        # A user subscribed through nginx, so the message panels have traffic to show.
        user = Recorder()
        await user.sio.connect(f"http://127.0.0.1:{ports['listen']}", transports=["websocket"])
        prom = httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['prometheus']}", timeout=5)
        try:
            assert (await user.call("subscribe", {"symbols": ["BTCUSDT", "ETHUSDT"]}))["ok"]
            await user.wait("batch_update", count=2, timeout=30)

            async def scraped() -> bool:
                targets = (await data(prom, "/api/v1/targets"))["activeTargets"]
                return len(targets) == 2 and all(t["health"] == "up" for t in targets)

            await wait_async(scraped, 60, "Prometheus scraping both instances")

            async def filled() -> bool:
                return not await empty_panels(prom)

            # Rates over [1m] need two scrapes of a series: a bounded wait, not a fixed sleep.
            with contextlib.suppress(TimeoutError):
                await wait_async(filled, 60, "data in every panel")
            exprs = [e for es in board.values() for e in es] + list(rules.values())
            answers = {e: await query(prom, e) for e in exprs}
            errors = {e: a for e, a in answers.items() if a["status"] != "success"}
            assert not errors, errors
            assert not await empty_panels(prom)

            # Prometheus itself evaluates the rules: each one healthy, none in error.
            async def evaluated() -> list[dict[str, Any]]:
                groups = (await data(prom, "/api/v1/rules"))["groups"]
                found = [r for g in groups for r in g["rules"]]
                done = all(r.get("lastEvaluation", "").startswith("20") for r in found)
                return found if done and len(found) == len(rules) else []

            async def all_evaluated() -> bool:
                return bool(await evaluated())

            await wait_async(all_evaluated, 30, "every rule evaluated")
            broken = {
                r["name"]: r.get("lastError") for r in await evaluated() if r["health"] != "ok"
            }
            assert not broken, broken
            # A healthy cluster: nothing critical fires.
            alerts = (await data(prom, "/api/v1/alerts"))["alerts"]
            critical = [a for a in alerts if a["labels"].get("severity") == "critical"]
            assert [a for a in critical if a["state"] == "firing"] == []
        finally:
            await prom.aclose()
            await user.close()


def test_a_taken_prometheus_port_fails_start_up_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        with cluster(tmp_path, "--prometheus-port", str(taken)) as (proc, _):
            proc.popen.wait(90)
            log = proc.log()
    assert proc.popen.returncode == 1
    [line] = [x for x in log.splitlines() if "failed" in x]
    assert line == (
        f"cluster failed to start: prometheus cannot listen on 127.0.0.1:{taken}: "
        "the port is in use"
    )
    assert "Traceback" not in log  # and the others stopped: cluster() checks their ports
