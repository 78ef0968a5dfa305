"""Protocol-level attackers of the transport (issue 9's list), at scale, against the same real
server as the HTTP attacks: each is refused while it is read, the well-behaved client's batches
keep coming, and the server's memory does not follow what attackers send (the earlier server
buffered a 15 MiB frame whole: 20 such connections took its RSS from 292 to 839 MB). How each
refusal looks on the wire is pinned in-process by tests/gateway/test_hostile_clients.py."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.cluster.kit import Tracker, Watcher
from tests.security.yardstick import attack, attackers

pytestmark = pytest.mark.slow

POLLING = "/socket.io/?EIO=4&transport=polling"
ATTACKERS = 20


async def test_fifteen_mib_frames_are_refused_from_their_header(
    server: Tracker, watcher: Watcher
) -> None:
    async with attack(f"{ATTACKERS} x 15 MiB frames, twice", server, watcher):
        for _ in range(2):
            await attackers("big_frame", server.port, ATTACKERS)


async def test_fragments_that_never_finish_are_bounded(server: Tracker, watcher: Watcher) -> None:
    async with attack(f"{ATTACKERS} x 8 MiB of fragments", server, watcher):
        await attackers("endless_fragments", server.port, ATTACKERS)


async def test_oversized_polling_bodies_get_413(server: Tracker, watcher: Watcher) -> None:
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
        attack("50 oversized long-polling bodies", server, watcher),
    ):
        for _ in range(50):
            handshake = await http.get(POLLING)
            sid = handshake.text[1:].split('"sid":"')[1].split('"')[0]
            reply = await http.post(f"{POLLING}&sid={sid}", content=b"4" + b"p" * 200_000)
            assert reply.status_code == 413
            assert len(reply.content) < 1024


async def test_events_declaring_a_million_attachments(server: Tracker, watcher: Watcher) -> None:
    async with attack(f"{ATTACKERS} x 20 events of a million attachments", server, watcher):
        await attackers("million_attachments", server.port, ATTACKERS)


async def test_packet_floods_are_cut_off(server: Tracker, watcher: Watcher) -> None:
    async with attack(f"{ATTACKERS} x 2000 packets at once", server, watcher):
        await attackers("packet_flood", server.port, ATTACKERS)


async def test_headers_that_never_end_are_timed_out(server: Tracker, watcher: Watcher) -> None:
    async with attack("150 connections whose headers never end", server, watcher):
        await attackers("slow_headers", server.port, 150)


async def test_sessions_that_never_connect_are_closed(server: Tracker, watcher: Watcher) -> None:
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
        attack("150 sessions that never send CONNECT", server, watcher),
    ):
        sids = []
        for i in range(150):
            forwarded = {"X-Forwarded-For": f"203.0.114.{i + 1}"}
            handshake = await http.get(POLLING, headers=forwarded)
            sids.append((handshake.text[1:].split('"sid":"')[1].split('"')[0], forwarded))
        sid, forwarded = sids[-1]

        async def closed() -> bool:
            reply = await http.get(f"{POLLING}&sid={sid}", headers=forwarded)
            return reply.status_code == 400 or reply.content.startswith(b"1")

        async with asyncio.timeout(10):
            while not await closed():
                pass
