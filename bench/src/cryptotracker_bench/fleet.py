"""A fleet of clients against one server: the raw load generator spread over processes (the
file-descriptor limit is per process) plus an optional group of official python-socketio
clients, driven together and summed into one window report."""

from __future__ import annotations

import asyncio
import math
import resource
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from cryptotracker_bench.procs import Process, Processes, pinned, python_module
from cryptotracker_bench.stats import Histogram

# Counters of a load generator's window report that add up across processes.
_SUMMED = (
    "clients",
    "ready",
    "stable",
    "messages",
    "bytes",
    "snapshots",
    "other_events",
    "probe_messages",
    "late_messages",
    "observed_batches",
    "expected_batches",
    "received_batches",
)


@dataclass(frozen=True, slots=True)
class FleetSpec:
    port: int
    subs: Sequence[Sequence[str]]
    per_process: int = 5000
    deadline_ms: float = 125.0
    control: int = 0  # official python-socketio clients
    observe: bool = True  # one client per process subscribed to the union (lost batches)
    name: str = "loadgen"
    probes: int = 50  # per process: clients that parse every message in full
    # Per process: handshakes in flight at once. 50-200 gave the highest handshake rates
    # against both the tracker and the floor; 1,000 was slower for both.
    concurrency: int = 200


class Fleet:
    def __init__(self, gens: list[Process], control: Process | None) -> None:
        self.gens = gens
        self.control = control

    @classmethod
    async def start(cls, procs: Processes, logs: Path, cores: str | None, spec: FleetSpec) -> Fleet:
        subs = [list(s) for s in spec.subs]
        chunks = max(1, math.ceil(len(subs) / min(spec.per_process, _fd_room())))
        size = math.ceil(len(subs) / chunks) if subs else 0
        configs = []
        for i in range(chunks):
            part = subs[i * size : (i + 1) * size]
            union = sorted({s for sub in part for s in sub})
            configs.append(
                {
                    "port": spec.port,
                    "subs": part,
                    "deadline_ms": spec.deadline_ms,
                    "probes": spec.probes,
                    "concurrency": spec.concurrency,
                    "observer_symbols": union if spec.observe and union else None,
                }
            )
        gens = await asyncio.gather(
            *(
                _start(procs, logs, cores, f"{spec.name}-{i}", "cryptotracker_bench.loadgen", c)
                for i, c in enumerate(configs)
            )
        )
        control = None
        if spec.control and subs:
            config = {
                "port": spec.port,
                "subs": subs[: spec.control],
                "deadline_ms": spec.deadline_ms,
            }
            control = await _start(
                procs, logs, cores, f"{spec.name}-control", "cryptotracker_bench.control", config
            )
        return cls(list(gens), control)

    @property
    def everyone(self) -> list[Process]:
        return self.gens + ([self.control] if self.control else [])

    async def connect(self) -> dict[str, Any]:
        """Open every client (processes in parallel); the slowest process's time is the time."""
        replies = await asyncio.gather(*(g.call("connect", timeout=300) for g in self.gens))
        per_client = Histogram()
        for r in replies:
            per_client.merge(Histogram.from_json(r["per_client"]))
        result: dict[str, Any] = {
            "clients": sum(r["clients"] for r in replies),
            "connected": sum(r["connected"] for r in replies),
            "took_s": max(r["took_s"] for r in replies),
            "span_s": max(r["last_at"] for r in replies) - min(r["first_at"] for r in replies),
            "per_client": per_client.summary(),
            "errors": sorted({e for r in replies for e in r["errors"]})[:5],
        }
        if self.control is not None:
            control = await self.control.call("connect", timeout=120)
            result["control"] = {"connected": control["connected"], "errors": control["errors"]}
        return result

    def cpu_s(self) -> float:
        """CPU seconds the load generators (not the control group) have used so far."""
        return sum(g.cpu().total_s for g in self.gens)

    async def mark(self) -> None:
        await asyncio.gather(*(p.call("mark") for p in self.everyone))

    async def report(self, changes: bool = False, grace_ms: float = 1000) -> dict[str, Any]:
        """The window since `mark`, summed over processes; `changes`: the first observer's log
        of changed symbols per batch."""
        replies = await asyncio.gather(
            *(
                g.call("report", changes=changes and i == 0, grace_ms=grace_ms)
                for i, g in enumerate(self.gens)
            )
        )
        out: dict[str, Any] = {key: sum(int(r[key]) for r in replies) for key in _SUMMED}
        out["duration_s"] = min(r["duration_s"] for r in replies)
        latency, delivery, lag = Histogram(), Histogram(), Histogram()
        for r in replies:
            latency.merge(Histogram.from_json(r["latency"]))
            delivery.merge(Histogram.from_json(r["delivery"]))
            lag.merge(Histogram.from_json(r["lag"]))
        out["latency"] = latency
        out["delivery"] = delivery
        out["lag"] = lag
        out["changes"] = replies[0].get("changes", []) if replies else []
        if self.control is not None:
            c = await self.control.call("report")
            out["messages"] += int(c["messages"])
            out["control"] = {
                "clients": c["clients"],
                "ready": c["ready"],
                "messages": c["messages"],
                "late_messages": c["late_messages"],
                "probe_messages": c["probe_messages"],
                "latency": Histogram.from_json(c["latency"]).summary(),
            }
        return out

    async def storm(self, timeout_s: float = 60) -> dict[str, Any]:
        """Every client of every process dropped at once and brought back."""
        replies = await asyncio.gather(
            *(g.call("storm", timeout=timeout_s + 60, timeout_s=timeout_s) for g in self.gens)
        )
        receiving_ms = Histogram()
        for r in replies:
            receiving_ms.merge(Histogram.from_json(r["receiving_ms"]))
        complete = all(r["all_back_s"] is not None for r in replies)
        receiving = all(r["all_receiving_s"] is not None for r in replies)
        return {
            "dropped": sum(r["dropped"] for r in replies),
            "back": sum(r["back"] for r in replies),
            "receiving": sum(r["receiving"] for r in replies),
            "all_back_s": max(r["all_back_s"] for r in replies) if complete else None,
            "all_receiving_s": max(r["all_receiving_s"] for r in replies) if receiving else None,
            # Drop to first batch after resubscribing, per client that got one.
            "receiving_ms": receiving_ms.summary(),
            "errors": sorted({e for r in replies for e in r["errors"]})[:5],
        }

    async def close(self) -> None:
        await asyncio.gather(*(p.call("close") for p in self.everyone if p.alive()))


def _fd_room() -> int:
    """Clients one load generator can hold: its open-file limit (raised to the hard limit at
    start), less room for the rest of the process."""
    return max(100, resource.getrlimit(resource.RLIMIT_NOFILE)[1] - 256)


async def _start(
    procs: Processes, logs: Path, cores: str | None, name: str, module: str, config: Any
) -> Process:
    path = logs / f"{name}.json"
    path.write_bytes(orjson.dumps(config))
    return await procs.start(name, pinned(python_module(module, str(path)), cores), logs)
