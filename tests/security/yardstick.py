"""What every hostile-client test measures: the well-behaved watcher's longest batch gap, the
server's log and its memory around each attack."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from tests.cluster.kit import Tracker, Watcher
from tests.support import ROOT

MAX_GAP_S = 0.3
MAX_ECHO = 1024
RSS_SLACK = 1.10  # memory back within 10 % of where it was once the attacker leaves
RSS_SETTLE_S = 5.0


def symbols_of(server: Tracker) -> list[str]:
    reply = httpx.get(f"{server.url}/api/symbols", timeout=5).json()
    return [s["symbol"] for s in reply["symbols"]]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@contextlib.asynccontextmanager
async def attack(name: str, server: Tracker, watcher: Watcher) -> AsyncIterator[None]:
    """The attack runs inside; after it, the watcher's longest gap, the server's log, and its
    memory: sampled while the attack runs, then back within RSS_SLACK of where it started once
    the attacker has left (waiting up to RSS_SETTLE_S for buffers to be let go)."""
    logged = len(server.proc.log())
    pid = server.proc.pid
    before = rss_mb(pid)
    peak = before
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_mb(pid))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 0.05)

    sampler = asyncio.create_task(sample())
    start = time.monotonic()
    try:
        yield
    finally:
        done.set()
        await sampler
    end = time.monotonic()
    gap = watcher.longest_gap(start, end)
    settle = time.monotonic() + RSS_SETTLE_S
    while (after := rss_mb(pid)) > before * RSS_SLACK and time.monotonic() < settle:
        await asyncio.sleep(0.1)
    print(
        f"ATTACK {name}: {end - start:.2f} s, longest batch gap {gap * 1000:.0f} ms, "
        f"RSS {before:.1f} MB before, {peak:.1f} MB peak, {after:.1f} MB after"
    )
    assert gap < MAX_GAP_S, f"{name}: the well-behaved client waited {gap:.3f} s for a batch"
    assert "Traceback" not in server.proc.log()[logged:], name
    assert after <= before * RSS_SLACK, f"{name}: RSS {before:.1f} -> {after:.1f} MB"


async def attackers(kind: str, port: int, count: int) -> None:
    """`count` attackers of `kind` (tests/security/attackers.py) in a process of their own."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.security.attackers", kind, str(port), str(count),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with asyncio.timeout(60):
            out, _ = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
