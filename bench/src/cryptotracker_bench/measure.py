"""One measurement window: what the server side spent (CPU, memory, counters read before and
after) against what the clients received, reduced to the figures the bench reports."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptotracker_bench.fleet import Fleet
from cryptotracker_bench.procs import Process
from cryptotracker_bench.stack import Simulator, Tracker, metric_sum
from cryptotracker_bench.stats import Histogram

MB = 2**20


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # monotonic seconds
    cpu_s: float
    rss: int
    updates: float = 0.0  # tracker: exchange updates so far
    batches: float = 0.0
    trades: int = 0  # simulator: trades sent so far
    load_cpu_s: float = 0.0  # load generators (and the simulator, when given) so far


async def sample(
    proc: Process,
    tracker: Tracker | None = None,
    sim: Simulator | None = None,
    fleets: Sequence[Fleet] = (),
) -> Sample:
    metrics = await tracker.metrics() if tracker is not None else {}
    trades = await sim.trades() if sim is not None else 0
    load_cpu = sum(f.cpu_s() for f in fleets) + (sim.proc.cpu().total_s if sim else 0.0)
    return Sample(
        at=time.monotonic(),
        cpu_s=proc.cpu().total_s,
        rss=proc.rss(),
        updates=metric_sum(metrics, "cryptotracker_exchange_updates_total"),
        batches=metric_sum(metrics, "cryptotracker_batches_total"),
        trades=trades,
        load_cpu_s=load_cpu,
    )


async def window(
    server: Process,
    fleets: Sequence[Fleet],
    seconds: float,
    tracker: Tracker | None = None,
    sim: Simulator | None = None,
    changes: bool = False,
) -> tuple[Sample, Sample, list[dict[str, Any]]]:
    """Mark every fleet, wait, report: the server's samples around the clients' window."""
    before = await sample(server, tracker, sim, fleets)
    await asyncio.gather(*(f.mark() for f in fleets))
    await asyncio.sleep(seconds)
    after = await sample(server, tracker, sim, fleets)  # before the reports' own work
    loads = list(await asyncio.gather(*(f.report(changes=changes) for f in fleets)))
    return before, after, loads


def figures(
    before: Sample,
    after: Sample,
    load: dict[str, Any],
    rss_baseline: int | None = None,
    busy_cpu_s: float | None = None,
) -> dict[str, Any]:
    """The reported figures of one window. `busy_cpu_s`: CPU to charge per message instead of
    the whole process's (the floor counts its send loop only)."""
    wall = max(after.at - before.at, 1e-9)
    cpu = after.cpu_s - before.cpu_s
    messages = int(load["messages"])
    charged = cpu if busy_cpu_s is None else busy_cpu_s
    latency: Histogram = load["latency"]
    delivery: Histogram = load["delivery"]
    clients = int(load["clients"])
    out: dict[str, Any] = {
        "window_s": round(wall, 3),
        "clients_ready": int(load["ready"]),
        "updates_per_s": (after.updates - before.updates) / wall,
        "batches_per_s": (after.batches - before.batches) / wall,
        "trades_per_s": (after.trades - before.trades) / wall,
        "messages_per_s": messages / wall,
        "bytes_per_s": int(load["bytes"]) / wall,
        "latency": latency.summary(),
        "delivery": delivery.summary(),
        # The load generator's own queue: kernel arrival -> read, on its probes.
        "loadgen_lag": load["lag"].summary() if "lag" in load else None,
        "probe_messages": int(load["probe_messages"]),
        "late_messages": int(load["late_messages"]),
        "expected_batches": int(load["expected_batches"]),
        "lost_batches": int(load["expected_batches"]) - int(load["received_batches"]),
        "cpu_percent": 100 * cpu / wall,
        # The load core: load generators plus the simulator (tracker runs), to show it is not
        # what limits the run.
        "load_cpu_percent": 100 * (after.load_cpu_s - before.load_cpu_s) / wall,
        "cpu_us_per_message": 1e6 * charged / messages if messages else None,
        "rss_mb": after.rss / MB,
        "rss_kb_per_connection": (
            (after.rss - rss_baseline) / 1024 / clients if rss_baseline and clients else None
        ),
    }
    if busy_cpu_s is not None:
        out["process_cpu_us_per_message"] = 1e6 * cpu / messages if messages else None
    if "control" in load:
        out["control"] = load["control"]
    return out
