"""Clients that speak Engine.IO/Socket.IO by hand, for tests that need what a library would
not do: read frame by frame, stop reading, send half a frame, lie in headers. Frames are built
by the bench's wire code (`cryptotracker_bench.wire`), which the tests share."""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect

from cryptotracker_bench.wire import client_frame as client_frame  # shared with the bench

PATH = "/socket.io/?EIO=4&transport=websocket"


def ws_url(url: str, query: str = "") -> str:
    return url.replace("http", "ws", 1) + PATH + query


async def open_socket(url: str, **kwargs: Any) -> ClientConnection:
    """A WebSocket through the Engine.IO handshake and the Socket.IO CONNECT to "/"."""
    ws = await connect(ws_url(url), **kwargs)
    async with asyncio.timeout(10):
        assert str(await ws.recv()).startswith("0{")
        await ws.send("40")
        while not str(await ws.recv()).startswith("40"):
            pass
    return ws


def event_of(frame: str | bytes) -> tuple[str, Any] | None:
    """(name, envelope) of a `42["name",{...}]` frame, else None."""
    text = frame.decode() if isinstance(frame, bytes) else frame
    if not text.startswith("42["):
        return None
    name, data = orjson.loads(text[2:])
    return str(name), data


async def next_event(ws: ClientConnection, name: str, timeout: float = 10) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            got = event_of(await ws.recv())
            if got is not None and got[0] == name:
                return got[1]


async def raw_upgrade(
    port: int, extra: bytes = b"", query: str = ""
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP connection upgraded to WebSocket by hand (no library reads or writes for us)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16))
    writer.write(
        b"GET " + (PATH + query).encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: " + key
        + b"\r\n" + extra + b"\r\n"
    )  # fmt: skip
    async with asyncio.timeout(10):
        head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One unmasked server frame: (opcode, payload)."""
    first, second = await reader.readexactly(2)
    size = second & 0x7F
    if size == 126:
        size = int.from_bytes(await reader.readexactly(2), "big")
    elif size == 127:
        size = int.from_bytes(await reader.readexactly(8), "big")
    return first & 0x0F, await reader.readexactly(size)
