"""`cryptotracker bench`: run the chosen scenarios one after another, write the results as JSON
under the results folder and print them as tables."""

from __future__ import annotations

import asyncio
import os
import platform
import signal
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from cryptotracker_bench import report, scenarios
from cryptotracker_bench.options import Options
from cryptotracker_bench.worker import raise_fd_limit


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_before": _load(),
    }


async def run(opts: Options, command: str) -> dict[str, Any]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    logs = opts.out / f"logs-{stamp}"
    logs.mkdir(parents=True, exist_ok=True)
    raise_fd_limit()
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": command,
        "machine": machine(),
        "options": _options(opts),
        "scenarios": {},
    }
    started = time.monotonic()
    runners = {
        "ingest": scenarios.ingest, "fanout": scenarios.fanout,
        "handshake": scenarios.handshake, "idle": scenarios.idle,
        "redis": scenarios.redis, "storm": scenarios.storm,
    }  # fmt: skip
    chosen = [s for s in opts.scenarios if s in runners]
    if opts.soak_minutes > 0:
        chosen.append("soak")
        runners["soak"] = scenarios.soak
    path = opts.out / f"bench-{stamp}.json"
    for name in chosen:
        began = time.monotonic()
        results["scenarios"][name] = await runners[name](opts, logs)
        results.setdefault("durations_s", {})[name] = round(time.monotonic() - began, 1)
        _save(results, opts, path)  # each scenario kept, should a later one fail
    results["duration_s"] = round(time.monotonic() - started, 1)
    results["machine"]["load_after"] = _load()
    _save(results, opts, path)
    results["path"] = str(path)
    return results


def _save(results: dict[str, Any], opts: Options, path: Path) -> None:
    if "fanout" in results["scenarios"]:
        results["ratios"] = report.ratios(results["scenarios"]["fanout"])
    results["targets"] = report.targets(results, opts.interval_ms)
    blob = orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY)
    path.write_bytes(blob)
    (opts.out / "latest.json").write_bytes(blob)


def _options(opts: Options) -> dict[str, Any]:
    return {
        name: (str(getattr(opts, name)) if isinstance(getattr(opts, name), Path)
               else getattr(opts, name))
        for name in Options.__dataclass_fields__
    }  # fmt: skip


async def _until_signalled(opts: Options, command: str) -> dict[str, Any]:
    """SIGTERM cancels the run like Ctrl-C does, so every child process is stopped."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run(opts, command)


def main(opts: Options) -> int:
    import uvloop

    command = " ".join(["cryptotracker", *sys.argv[1:]])
    results = uvloop.run(_until_signalled(opts, command))
    print(report.render(results))
    print(f"\nresults: {results['path']}")
    return 0


def show(path: Path) -> int:
    """Print a saved run, ratios and verdicts recomputed by this version of the report."""
    results = orjson.loads(path.read_bytes())
    interval = int(results.get("options", {}).get("interval_ms", 100))
    if "fanout" in results["scenarios"]:
        results["ratios"] = report.ratios(results["scenarios"]["fanout"])
    results["targets"] = report.targets(results, interval)
    print(report.render(results))
    return 0
