"""The systems under test as child processes: the market simulator, tracker instances, a private
Redis and the two references; plus what the orchestrator reads from them over HTTP."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

from cryptotracker_bench.procs import (
    Process,
    Processes,
    free_port,
    pinned,
    port_open,
    python_module,
)

START_TIMEOUT_S = 60.0
HTTP_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Cores:
    """Which CPUs the server side and the load side may use (taskset lists)."""

    server: str | None
    load: str | None


async def http_get(url: str) -> bytes:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
        response = await client.get(url)
        response.raise_for_status()
        return response.content


async def http_json(url: str) -> Any:
    return orjson.loads(await http_get(url))


def parse_metrics(text: str) -> dict[str, float]:
    """Prometheus text exposition -> {name{labels}: value}, samples only."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        try:
            out[name] = float(value)
        except ValueError:
            continue
    return out


def metric_sum(metrics: dict[str, float], name: str) -> float:
    """Sum of a metric over all its label sets."""
    return sum(v for k, v in metrics.items() if k == name or k.startswith(name + "{"))


class Simulator:
    def __init__(self, proc: Process, port: int) -> None:
        self.proc = proc
        self.port = port
        self.base = f"http://127.0.0.1:{port}"

    @classmethod
    async def start(
        cls,
        procs: Processes,
        logs: Path,
        cores: Cores,
        symbols: int,
        rate: float,
        quotes: Sequence[str] = ("USDT",),
    ) -> Simulator:
        port = free_port()
        args = python_module(
            "cryptotracker", "simulate", "--host", "127.0.0.1", "--port", str(port),
            "--symbols", str(symbols), "--rate", str(rate), "--seed", "7",
            "--quotes", ",".join(quotes),
        )  # fmt: skip
        proc = await procs.start("simulator", pinned(args, cores.load), logs, commands=False)
        await port_open(port, START_TIMEOUT_S, proc)
        return cls(proc, port)

    async def set_rate(self, rate: float) -> None:
        await http_get(f"{self.base}/sim/rate?value={rate}")

    async def trades(self) -> int:
        state = await http_json(f"{self.base}/sim/state")
        return int(state["trades"])

    async def symbols_by_volume(self) -> list[str]:
        """Every simulated market, most traded (by 24 h quote volume) first."""
        rows = await http_json(f"{self.base}/api/v3/ticker/24hr")
        rows.sort(key=lambda r: -float(r["quoteVolume"]))
        return [str(r["symbol"]) for r in rows]

    def env(self) -> dict[str, str]:
        return {
            "CRYPTOTRACKER_BINANCE_WS_URL": f"ws://127.0.0.1:{self.port}",
            "CRYPTOTRACKER_BINANCE_WS_FALLBACK_URLS": "",
            "CRYPTOTRACKER_BINANCE_REST_FALLBACK_URLS": "",
            "CRYPTOTRACKER_BINANCE_REST_URL": self.base,
            "CRYPTOTRACKER_COINGECKO_URL": f"{self.base}/coingecko/api/v3",
            # The simulator plays Binance only: no other exchange to fall back on.
            "CRYPTOTRACKER_SOURCE_ORDER": "binance,coingecko",
        }


class Tracker:
    """One `cryptotracker serve` instance."""

    def __init__(self, proc: Process, port: int) -> None:
        self.proc = proc
        self.port = port
        self.base = f"http://127.0.0.1:{port}"

    @classmethod
    async def start(
        cls,
        procs: Processes,
        logs: Path,
        cores: Cores,
        sim: Simulator,
        name: str = "tracker",
        redis_url: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> Tracker:
        port = free_port()
        env = {
            **sim.env(),
            "CRYPTOTRACKER_SIMULATOR_FALLBACK": "false",
            "CRYPTOTRACKER_HOST": "127.0.0.1",
            "CRYPTOTRACKER_PORT": str(port),
            "CRYPTOTRACKER_LOG_LEVEL": "warning",
            # The load generator's observers subscribe to every symbol their clients use.
            "CRYPTOTRACKER_MAX_SYMBOLS_PER_CLIENT": "100000",
            "CRYPTOTRACKER_WEB_DIST": str(logs / "no-web"),
            **({"CRYPTOTRACKER_REDIS_URL": redis_url} if redis_url else {}),
            **(extra_env or {}),
        }
        args = pinned(python_module("cryptotracker", "serve"), cores.server)
        proc = await procs.start(name, args, logs, env=env, commands=False)
        await port_open(port, START_TIMEOUT_S, proc)
        tracker = cls(proc, port)
        await tracker.wait_prices(START_TIMEOUT_S)
        return tracker

    async def wait_prices(self, timeout: float) -> None:
        """Until the tracker holds prices (the feed is up and the first miniTicker arrived)."""
        async with asyncio.timeout(timeout):
            while True:
                if not self.proc.alive():
                    raise RuntimeError(f"tracker exited:\n{self.proc.tail()}")
                try:
                    prices = await http_json(f"{self.base}/api/prices")
                except httpx.HTTPError:
                    prices = None
                if prices and prices.get("prices"):
                    return
                await asyncio.sleep(0.2)

    async def metrics(self) -> dict[str, float]:
        return parse_metrics((await http_get(f"{self.base}/metrics")).decode())


async def start_redis(procs: Processes, logs: Path, cores: Cores) -> str:
    """A private redis-server (no persistence) so the bench's channels meet no one else's."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found (or pass --redis-url)")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = await procs.start("redis", pinned(args, cores.load), logs, commands=False)
    await port_open(port, START_TIMEOUT_S, proc)
    return f"redis://127.0.0.1:{port}/0"


async def start_reference(
    procs: Processes,
    logs: Path,
    cores: Cores,
    kind: str,
    symbols: Sequence[str],
    interval_ms: int,
) -> tuple[Process, int]:
    """The floor or the raw `websockets` server; returns it and its port."""
    port = free_port()
    config = logs / f"{kind}.json"
    config.write_bytes(
        orjson.dumps({"port": port, "symbols": list(symbols), "interval_ms": interval_ms})
    )
    args = pinned(python_module("cryptotracker_bench.reference", kind, str(config)), cores.server)
    proc = await procs.start(kind, args, logs)
    await port_open(port, START_TIMEOUT_S, proc)
    return proc, port
