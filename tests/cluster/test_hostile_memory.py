"""Memory under protocol-level attacks, measured on a real `cryptotracker serve` process: big
frames, never-finished fragments and oversized long-polling bodies are refused while they are
read, so the server's memory does not follow what attackers send (the earlier server buffered
a 15 MiB frame whole: 20 such connections took its RSS from 292 to 839 MB)."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

import httpx
import pytest

from tests.cluster.kit import simulator, tracker
from tests.gateway.rawclient import client_frame, raw_upgrade

pytestmark = pytest.mark.slow


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def big_frame(port: int) -> None:
    """Announce 15 MiB and keep sending until the server ends the connection."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        _, writer = await raw_upgrade(port)
        writer.write(client_frame(b"40"))
        chunk = os.urandom(256 * 1024)
        writer.write(client_frame(b"", length=15 * 1024 * 1024)[:-4])  # header only
        async with asyncio.timeout(10):
            for _ in range(60):
                writer.write(chunk)
                await writer.drain()
        writer.close()


async def endless_fragments(port: int) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        _, writer = await raw_upgrade(port)
        async with asyncio.timeout(10):
            for _ in range(64):
                writer.write(client_frame(b"4" + b"f" * (128 * 1024 - 1), fin=False))
                await writer.drain()
        writer.close()


async def oversized_polls(url: str) -> None:
    base = "/socket.io/?EIO=4&transport=polling"
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        for _ in range(50):
            handshake = await http.get(base)
            sid = handshake.text[1:].split('"sid":"')[1].split('"')[0]
            reply = await http.post(f"{base}&sid={sid}", content=b"4" + b"p" * 200_000)
            assert reply.status_code == 413


async def test_attackers_do_not_move_the_servers_memory() -> None:
    with simulator() as sim, tracker(sim, None) as server:
        port = server.port
        await asyncio.sleep(1)  # the exchange side settles (its first snapshot)
        before = rss_mb(server.proc.pid)
        for _ in range(2):
            await asyncio.gather(*(big_frame(port) for _ in range(20)))
            await asyncio.gather(*(endless_fragments(port) for _ in range(20)))
        await oversized_polls(server.url)
        after = rss_mb(server.proc.pid)
        assert server.health()["connections"] == 0
        # 20 connections x 15 MiB announced, twice, and 20 x 8 MiB of fragments: none stays.
        print(f"tracker RSS {before:.1f} MB before, {after:.1f} MB after the attacks")
        assert after - before < 40, (before, after)
