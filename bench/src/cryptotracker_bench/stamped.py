"""A probe client's connection: a plain non-blocking socket read with `recvmsg`, so that every
read carries the time the kernel received its data (SO_TIMESTAMPNS), not the time the load
generator got round to reading it. The load generator's clients share a core; when it falls
behind during a batch's burst, this keeps its own queue out of the latency it reports (and
measures that queue apart).

For TCP the stamp is that of the last segment the read consumed: for a read holding several
messages it is late for the earlier ones, so it can only overstate their latency."""

from __future__ import annotations

import asyncio
import socket
import struct
import sys
import time
from typing import Any

# <linux/socket.h>: SO_TIMESTAMPNS (= SCM_TIMESTAMPNS) where Python's socket module lacks it.
SO_TIMESTAMPNS: int = getattr(socket, "SO_TIMESTAMPNS", 35)
_TIMESPEC = struct.Struct("@ll")
_READ_SIZE = 256 * 1024
_LINGER_RST = struct.pack("ii", 1, 0)


def kernel_stamps_supported() -> bool:
    return sys.platform.startswith("linux")


def arrival(ancillary: list[tuple[int, int, bytes]]) -> float:
    """Seconds since the epoch of an SCM_TIMESTAMPNS control message; 0.0 when there is none."""
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            sec, nsec = _TIMESPEC.unpack_from(data)
            return int(sec) + int(nsec) / 1e9
    return 0.0


class StampedTransport:
    """The part of `asyncio.Transport` a load-generator client uses, over a connected socket;
    before each `data_received` it sets the protocol's `arrived` (kernel time, seconds)."""

    def __init__(self, sock: socket.socket, protocol: Any) -> None:
        self._loop = asyncio.get_running_loop()
        self._sock = sock
        self._protocol = protocol
        self._closed = False
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._loop.add_reader(sock.fileno(), self._readable)
        protocol.connection_made(self)

    @classmethod
    async def connect(cls, host: str, port: int, protocol: Any) -> StampedTransport:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, (host, port))
        except BaseException:
            sock.close()
            raise
        return cls(sock, protocol)

    def _readable(self) -> None:
        try:
            data, ancillary, _, _ = self._sock.recvmsg(_READ_SIZE, 64)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._lost(exc)
            return
        if not data:
            self._lost(None)
            return
        self._protocol.arrived = arrival(ancillary) or time.time()
        self._protocol.data_received(data)

    def write(self, data: bytes) -> None:
        """Small control frames only (handshake, subscribe, pong): the send buffer has room."""
        if self._closed:
            return
        try:
            sent = self._sock.send(data)
        except OSError as exc:
            self._lost(exc)
            return
        if sent < len(data):
            self._lost(ConnectionError("send buffer full"))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._sock if name == "socket" and not self._closed else default

    def is_closing(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._lost(None)

    def abort(self) -> None:
        if not self._closed:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
        self._lost(None)

    def _lost(self, exc: Exception | None) -> None:
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self._sock.fileno())
        self._sock.close()
        self._loop.call_soon(self._protocol.connection_lost, exc)
