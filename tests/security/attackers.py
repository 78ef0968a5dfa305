"""Protocol-level attackers, run in a process of their own (`python -m tests.security.attackers
KIND PORT COUNT`), as real attackers are: what they cost to build (masking megabytes in Python)
must not be charged to the well-behaved client that measures the server. Exits non-zero, with a
line saying why, when the server did not answer as it should."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Awaitable, Callable

from tests.gateway.rawclient import client_frame, raw_upgrade, read_frame


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


FRAGMENT = client_frame(b"4" + b"f" * (128 * 1024 - 1), fin=False)


async def endless_fragments(port: int) -> None:
    """64 fragments of 128 KiB, none of them the last."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        _, writer = await raw_upgrade(port)
        async with asyncio.timeout(10):
            for _ in range(64):
                writer.write(FRAGMENT)
                await writer.drain()
        writer.close()


async def million_attachments(port: int) -> None:
    """Binary events that declare a million attachments each."""
    _, writer = await raw_upgrade(port)
    writer.write(client_frame(b"40"))
    for _ in range(20):
        writer.write(client_frame(b'451000000-["subscribe",{"_placeholder":true,"num":0}]'))
    await writer.drain()
    writer.close()


async def packet_flood(port: int) -> None:
    """2000 packets at once; the server must cut the connection off."""
    reader, writer = await raw_upgrade(port)
    await read_frame(reader)  # the Engine.IO open packet
    writer.write(client_frame(b'42["ping",{}]') * 2000)
    await writer.drain()
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        async with asyncio.timeout(10):
            while (await read_frame(reader))[0] != 8:
                pass
            writer.close()
            return
    raise SystemExit("packet flood: the server did not close the connection")


async def slow_headers(port: int) -> None:
    """Headers that never end: the server answers 408 and closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    await writer.drain()
    try:
        async with asyncio.timeout(10):
            reply = await reader.read()
    finally:
        writer.close()
    if not reply.startswith(b"HTTP/1.1 408"):
        raise SystemExit(f"slow headers: answered {reply[:40]!r}, not 408")


KINDS: dict[str, Callable[[int], Awaitable[None]]] = {
    "big_frame": big_frame,
    "endless_fragments": endless_fragments,
    "million_attachments": million_attachments,
    "packet_flood": packet_flood,
    "slow_headers": slow_headers,
}


async def main(kind: str, port: int, count: int) -> None:
    await asyncio.gather(*(KINDS[kind](port) for _ in range(count)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
