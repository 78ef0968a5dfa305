"""The bench's scenarios. Each starts what it measures in its own process group, runs bounded
windows, stops everything and returns plain JSON-able results."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import shutil
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from cryptotracker_bench.fleet import Fleet, FleetSpec
from cryptotracker_bench.measure import MB, figures, window
from cryptotracker_bench.options import Options
from cryptotracker_bench.procs import Processes, pinned, python_module
from cryptotracker_bench.stack import (
    Cores,
    Simulator,
    Tracker,
    start_redis,
    start_reference,
)
from cryptotracker_bench.stats import subscriptions

# Seconds for start-up work to settle before a baseline memory reading.
SETTLE_S = 1.0


def _cores(opts: Options) -> Cores:
    return Cores(opts.server_cores, opts.load_cores)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextlib.asynccontextmanager
async def _market(
    opts: Options, logs: Path, rate: float
) -> AsyncIterator[tuple[Processes, Simulator, list[str]]]:
    """A process group with the simulator running; yields it and the symbols by popularity."""
    async with Processes() as procs:
        sim = await Simulator.start(procs, logs, _cores(opts), opts.symbols, rate, opts.quotes)
        yield procs, sim, await sim.symbols_by_volume()


def _spec(opts: Options, port: int, subs: Sequence[Sequence[str]], **kw: Any) -> FleetSpec:
    return FleetSpec(
        port=port, subs=subs, per_process=opts.per_process, deadline_ms=opts.deadline_ms, **kw
    )


# ---- ingest ---------------------------------------------------------------------------------


async def ingest(opts: Options, logs: Path) -> dict[str, Any]:
    """Parse + normalise + aggregate on one pinned core, no sockets (bench.ingest)."""
    args = pinned(
        python_module("cryptotracker_bench.ingest", "--seconds", str(opts.ingest_seconds)),
        opts.server_cores,
    )
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"ingest bench failed: {err.decode()[-2000:]}")
    result: dict[str, Any] = orjson.loads(out)
    return result


# ---- fan-out --------------------------------------------------------------------------------


async def fanout(opts: Options, logs: Path) -> list[dict[str, Any]]:
    """For each client count: the tracker at every rate, then the floor and the raw websockets
    server replaying the tracker's batches to the same clients."""
    rows: list[dict[str, Any]] = []
    for clients in opts.clients:
        recorded: dict[float, list[list[str]]] = {}
        # Clients connect while the market is quiet: a server busy delivering to the first
        # thousands would take minutes to accept the rest (the storm scenario measures that).
        async with _market(opts, logs, 0.0) as (procs, sim, symbols):
            subs = subscriptions(symbols, clients, opts.k, seed=opts.seed)
            tracker = await Tracker.start(procs, logs, _cores(opts), sim)
            await asyncio.sleep(SETTLE_S)
            baseline = tracker.proc.rss()
            fleet = await Fleet.start(
                procs,
                logs,
                opts.load_cores,
                _spec(opts, tracker.port, subs, control=opts.control_clients),
            )
            _log(f"fan-out: {clients} clients -> tracker")
            connect = await fleet.connect()
            for rate in opts.rates:
                await sim.set_rate(rate)
                await asyncio.sleep(opts.warmup_s)
                _log(f"fan-out: tracker, {clients} clients, {rate:g} updates/s")
                before, after, (load,) = await window(
                    tracker.proc, [fleet], opts.seconds, tracker, sim, changes=True
                )
                recorded[rate] = load["changes"]
                row = figures(before, after, load, rss_baseline=baseline)
                rows.append(
                    {
                        "server": "tracker",
                        "clients": clients,
                        "k": opts.k,
                        "rate": rate,
                        "connect": connect,
                        **row,
                    }
                )
            await fleet.close()
        if opts.references:
            for kind in ("floor", "websockets"):
                rows.extend(await _reference(opts, logs, kind, symbols, subs, recorded))
    return rows


async def _reference(
    opts: Options,
    logs: Path,
    kind: str,
    symbols: list[str],
    subs: list[list[str]],
    recorded: dict[float, list[list[str]]],
) -> list[dict[str, Any]]:
    rows = []
    async with Processes() as procs:
        server, port = await start_reference(
            procs, logs, _cores(opts), kind, symbols, opts.interval_ms
        )
        await asyncio.sleep(SETTLE_S)
        baseline = server.rss()
        fleet = await Fleet.start(procs, logs, opts.load_cores, _spec(opts, port, subs))
        _log(f"fan-out: {len(subs)} clients -> {kind}")
        connect = await fleet.connect()
        for rate, changes in recorded.items():
            await server.call("replay", recorded=changes)
            await asyncio.sleep(opts.warmup_s)
            _log(f"fan-out: {kind}, {len(subs)} clients, batches of the {rate:g}/s run")
            await server.call("mark")
            before, after, (load,) = await window(server, [fleet], opts.seconds)
            report = await server.call("report")
            busy = report["send_cpu_s"] if kind == "floor" else None
            row = figures(before, after, load, rss_baseline=baseline, busy_cpu_s=busy)
            row["updates_per_s"] = row["trades_per_s"] = None  # no exchange behind it
            row["batches_per_s"] = report["batches"] / row["window_s"]
            row["skipped_sends"] = report["skipped"]
            rows.append(
                {
                    "server": kind,
                    "clients": len(subs),
                    "k": opts.k,
                    "rate": rate,
                    "connect": connect,
                    **row,
                }
            )
        await fleet.close()
    return rows


# ---- handshake rate -------------------------------------------------------------------------


async def handshake(opts: Options, logs: Path) -> list[dict[str, Any]]:
    """New Socket.IO connections per second the tracker accepts on its core: for each client
    count, that many clients connect as fast as the load generator can (no subscriptions, the
    market quiet); first connect attempt to last CONNECT ack, and the server's CPU meanwhile."""
    rows = []
    for clients in opts.clients:
        async with _market(opts, logs, 0.0) as (procs, sim, _):
            tracker = await Tracker.start(procs, logs, _cores(opts), sim)
            await asyncio.sleep(SETTLE_S)
            fleet = await Fleet.start(
                procs,
                logs,
                opts.load_cores,
                _spec(
                    opts,
                    tracker.port,
                    [[] for _ in range(clients)],
                    observe=False,
                    name="handshake",
                ),
            )
            _log(f"handshake: {clients} clients -> tracker")
            server_before, load_before = tracker.proc.cpu(), fleet.cpu_s()
            connect = await fleet.connect()
            server_after, load_after = tracker.proc.cpu(), fleet.cpu_s()
            await fleet.close()
        wall = max(server_after.at - server_before.at, 1e-9)
        server_cpu = server_after.total_s - server_before.total_s
        connected = int(connect["connected"])
        span = max(float(connect["span_s"]), 1e-9)
        rows.append(
            {
                "clients": clients,
                "connected": connected,
                "span_s": span,
                "per_s": connected / span,
                "server_cpu_percent": 100 * server_cpu / wall,
                "server_cpu_us_per_handshake": 1e6 * server_cpu / connected if connected else None,
                # What one core would accept if the server had nothing else to do.
                "per_cpu_s": connected / server_cpu if server_cpu > 0 else None,
                "loadgen_cpu_percent": 100 * (load_after - load_before) / wall,
                "per_client": connect["per_client"],
                "errors": connect["errors"],
            }
        )
    return rows


# ---- idle connections -----------------------------------------------------------------------


async def idle(opts: Options, logs: Path) -> list[dict[str, Any]]:
    """Memory per connected, unsubscribed client: the tracker and the raw websockets server."""
    rows = []
    idle_subs: list[list[str]] = [[] for _ in range(opts.idle_clients)]
    async with _market(opts, logs, opts.rates[0]) as (procs, sim, symbols):
        tracker = await Tracker.start(procs, logs, _cores(opts), sim)
        rows.append(
            await _idle_on(opts, logs, procs, "tracker", tracker.proc, tracker.port, idle_subs)
        )
    if opts.references:
        async with Processes() as procs:
            server, port = await start_reference(
                procs, logs, _cores(opts), "websockets", symbols, opts.interval_ms
            )
            rows.append(await _idle_on(opts, logs, procs, "websockets", server, port, idle_subs))
    return rows


async def _idle_on(
    opts: Options,
    logs: Path,
    procs: Processes,
    kind: str,
    server: Any,
    port: int,
    subs: list[list[str]],
) -> dict[str, Any]:
    await asyncio.sleep(SETTLE_S)
    baseline = server.rss()
    fleet = await Fleet.start(
        procs, logs, opts.load_cores, _spec(opts, port, subs, observe=False, name="idle")
    )
    _log(f"idle: {len(subs)} connections -> {kind}")
    connect = await fleet.connect()
    await asyncio.sleep(opts.warmup_s)
    rss = server.rss()
    await fleet.close()
    connected = max(1, int(connect["connected"]))
    return {
        "server": kind,
        "clients": len(subs),
        "connect": connect,
        "rss_baseline_mb": baseline / MB,
        "rss_mb": rss / MB,
        "rss_kb_per_connection": (rss - baseline) / 1024 / connected,
    }


# ---- two instances on Redis -----------------------------------------------------------------


async def redis(opts: Options, logs: Path) -> dict[str, Any]:
    """Two trackers sharing one Redis, half the clients on each: what crossing instances adds."""
    rate = opts.rates[0]
    if opts.redis_url is None and shutil.which("redis-server") is None:
        return {"skipped": "no redis-server on PATH and no --redis-url"}
    async with _market(opts, logs, rate) as (procs, sim, symbols):
        url = opts.redis_url or await start_redis(procs, logs, _cores(opts))
        trackers = [
            await Tracker.start(procs, logs, _cores(opts), sim, f"tracker-{i}", redis_url=url)
            for i in range(2)
        ]
        subs = subscriptions(symbols, opts.redis_clients, opts.k, seed=opts.seed)
        half = len(subs) // 2
        fleets = [
            await Fleet.start(
                procs, logs, opts.load_cores, _spec(opts, t.port, part, name=f"redis-{i}")
            )
            for i, (t, part) in enumerate(zip(trackers, (subs[:half], subs[half:]), strict=True))
        ]
        _log(f"redis: {len(subs)} clients over 2 instances")
        connects = [await f.connect() for f in fleets]
        await asyncio.sleep(opts.warmup_s)
        started = time.monotonic()
        samples = await asyncio.gather(
            *(_instance_window(opts, t, f, sim) for t, f in zip(trackers, fleets, strict=True))
        )
        _log(f"redis: window took {time.monotonic() - started:.1f}s")
        for f in fleets:
            await f.close()
    instances = []
    for i, ((ingesting, row), connect) in enumerate(zip(samples, connects, strict=True)):
        instances.append({"instance": i, "ingesting": ingesting, "connect": connect, **row})
    result: dict[str, Any] = {
        "rate": rate,
        "clients": len(subs),
        "k": opts.k,
        "instances": instances,
    }
    leader = [x for x in instances if x["ingesting"]]
    follower = [x for x in instances if not x["ingesting"]]
    if len(leader) == 1 and len(follower) == 1:
        # Delivery (batch time -> receipt) isolates the hop: exchange time adds the batch wait.
        for q in ("p50_ms", "p99_ms"):
            result[f"added_{q}"] = follower[0]["delivery"][q] - leader[0]["delivery"][q]
    return result


async def _instance_window(
    opts: Options, tracker: Tracker, fleet: Fleet, sim: Simulator
) -> tuple[bool, dict[str, Any]]:
    before, after, (load,) = await window(tracker.proc, [fleet], opts.seconds, tracker, sim)
    metrics = await tracker.metrics()
    ingesting = metrics.get("cryptotracker_ingest_active", 0.0) > 0
    return ingesting, figures(before, after, load)


# ---- reconnect storm ------------------------------------------------------------------------


async def storm(opts: Options, logs: Path) -> dict[str, Any]:
    """Every client of the storm group dropped at once (RST): time until all are back,
    resubscribed and receiving; meanwhile what bystanders (never dropped) saw."""
    rate = opts.rates[0]
    async with _market(opts, logs, rate) as (procs, sim, symbols):
        tracker = await Tracker.start(procs, logs, _cores(opts), sim)
        subs = subscriptions(symbols, opts.storm_clients + opts.bystanders, opts.k, seed=opts.seed)
        stormers = await Fleet.start(
            procs,
            logs,
            opts.load_cores,
            _spec(opts, tracker.port, subs[: opts.storm_clients], name="storm"),
        )
        bystanders = await Fleet.start(
            procs,
            logs,
            opts.load_cores,
            _spec(
                opts,
                tracker.port,
                subs[opts.storm_clients :],
                name="bystander",
                control=opts.control_clients,
            ),
        )
        _log(f"storm: {opts.storm_clients} clients + {opts.bystanders} bystanders")
        connect = await stormers.connect()
        await bystanders.connect()
        await asyncio.sleep(opts.warmup_s)
        await bystanders.mark()
        before = tracker.proc.cpu()
        result = await stormers.storm(timeout_s=60)
        after = tracker.proc.cpu()
        # Bystanders' window covers the storm and a second more, so that every batch made
        # during it is checked (report leaves out the last second's, possibly in flight).
        await asyncio.sleep(1.0)
        seen = await bystanders.report()
        await stormers.close()
        await bystanders.close()
    wall = max(after.at - before.at, 1e-9)
    return {
        "rate": rate,
        "clients": opts.storm_clients,
        "k": opts.k,
        "connect": connect,
        **result,
        "server_cpu_percent": 100 * (after.total_s - before.total_s) / wall,
        "bystanders": {
            "clients": seen["clients"],
            "messages": seen["messages"],
            "latency": seen["latency"].summary(),
            "late_messages": seen["late_messages"],
            "probe_messages": seen["probe_messages"],
            "lost_batches": seen["expected_batches"] - seen["received_batches"],
            "control": seen.get("control"),
        },
    }


# ---- soak -----------------------------------------------------------------------------------


async def soak(opts: Options, logs: Path) -> list[dict[str, Any]]:
    """RSS and latency every minute for `soak_minutes` (outside the default run)."""
    rows: list[dict[str, Any]] = []
    async with _market(opts, logs, opts.soak_rate) as (procs, sim, symbols):
        tracker = await Tracker.start(procs, logs, _cores(opts), sim)
        await asyncio.sleep(SETTLE_S)
        baseline = tracker.proc.rss()
        subs = subscriptions(symbols, opts.soak_clients, opts.k, seed=opts.seed)
        fleet = await Fleet.start(
            procs, logs, opts.load_cores, _spec(opts, tracker.port, subs, name="soak")
        )
        connect = await fleet.connect()
        _log(f"soak: {opts.soak_clients} clients for {opts.soak_minutes:g} min")
        minutes = max(1, round(opts.soak_minutes))
        step = opts.soak_minutes * 60 / minutes
        for minute in range(1, minutes + 1):
            before, after, (load,) = await window(tracker.proc, [fleet], step, tracker, sim)
            gc.collect()  # our own garbage only: keeps the orchestrator small over an hour
            row = figures(before, after, load, rss_baseline=baseline)
            rows.append({"minute": minute, "connect": connect if minute == 1 else None, **row})
            _log(
                f"soak: minute {minute}: rss {row['rss_mb']:.0f} MB, "
                f"p99 {row['latency']['p99_ms']:.1f} ms"
            )
        await fleet.close()
    return rows
