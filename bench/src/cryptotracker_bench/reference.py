"""The two references the tracker is measured against, serving the same clients the same
`batch_update` bytes at the same batch interval:

- ``floor``: no framework. Each batch's packets are framed first (not timed), then written with
  one plain non-blocking `send()` per client; the send loop's own CPU time is what a delivered
  message costs at the least on this machine.
- ``websockets``: a minimal server on the `websockets` library, `broadcast()` of each distinct
  packet to its clients.

    python -m cryptotracker_bench.reference floor|websockets CONFIG.json
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import orjson

from cryptotracker_bench import wire
from cryptotracker_bench.refs import Payloads, replay
from cryptotracker_bench.worker import load_config, reply, run, serve_commands

# Long Engine.IO ping interval: no keep-alive traffic during a bounded run.
PING_INTERVAL_MS = 300_000
PING_TIMEOUT_MS = 60_000


def _subscription(text: bytes) -> tuple[int, list[str]]:
    """`42N["subscribe",{"symbols":[...]}]` -> (N, symbols)."""
    i = 2
    while text[i : i + 1].isdigit():
        i += 1
    name, data = orjson.loads(text[i:])
    if name != "subscribe":
        raise wire.ProtocolError(f"expected subscribe, got {name!r}")
    return int(text[2:i] or 0), list(data["symbols"])


def _ack(ack_id: int, symbols: list[str]) -> bytes:
    return wire.sio_ack(ack_id, {"ok": True, "requestId": None, "added": sorted(symbols),
                                 "removed": [], "addedCandles": [], "removedCandles": [],
                                 "symbolCount": len(symbols), "candleCount": 0})  # fmt: skip


class Reference:
    def __init__(self, config: dict[str, Any]) -> None:
        self.port = int(config["port"])
        self.interval_s = float(config.get("interval_ms", 100)) / 1000
        symbols: list[str] = config["symbols"]
        self.payloads = Payloads(symbols)
        self.symbols = symbols
        self.changes: Iterator[frozenset[str]] = replay(
            config.get("recorded"), symbols, int(config.get("per_batch", 100))
        )
        # Silent until told what to send (`replay`, or `sending` in the config): clients
        # connect to a quiet server, as they do to the tracker.
        self.sending = bool(config.get("sending", False))
        self.sids = itertools.count(1)
        self.clients = 0
        self.sends = 0
        self.skipped = 0
        self.batches = 0
        self.send_cpu_s = 0.0
        self.marked_cpu = time.process_time()

    def next_batch(self) -> tuple[frozenset[str], int]:
        self.batches += 1
        return next(self.changes), int(time.time() * 1000)

    async def ticks(self) -> None:
        loop = asyncio.get_running_loop()
        next_tick = loop.time() + self.interval_s
        while True:
            await asyncio.sleep(max(0.0, next_tick - loop.time()))
            now = loop.time()
            next_tick += self.interval_s * max(1, int((now - next_tick) / self.interval_s) + 1)
            if self.sending:
                self.tick()

    def tick(self) -> None:
        raise NotImplementedError

    async def replay(self, command: dict[str, Any]) -> dict[str, Any]:
        """Send from now on the changed-symbol sets of a tracker run (cycled)."""
        self.changes = replay(
            command.get("recorded"), self.symbols, int(command.get("per_batch", 100))
        )
        self.sending = True
        return {}

    async def mark(self, _: dict[str, Any]) -> dict[str, Any]:
        self.sends = self.skipped = self.batches = 0
        self.send_cpu_s = 0.0
        self.marked_cpu = time.process_time()
        return {}

    async def report(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "sends": self.sends,
            "skipped": self.skipped,
            "batches": self.batches,
            "send_cpu_s": self.send_cpu_s,
            "process_cpu_s": time.process_time() - self.marked_cpu,
        }


class Floor(Reference):
    """Plain sockets; handshakes on asyncio's low-level socket calls, sends without a loop."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.groups: dict[frozenset[str], list[socket.socket]] = {}
        self.order: dict[frozenset[str], tuple[str, ...]] = {}  # each group's symbols, sorted
        self.pending: dict[socket.socket, bytes] = {}

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(4096)
        listener.setblocking(False)
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self.ticks())
            while True:
                sock, _ = await loop.sock_accept(listener)
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                tasks.create_task(self._handshake(sock))

    async def _handshake(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(60):
                buf = b""
                while b"\r\n\r\n" not in buf:
                    chunk = await loop.sock_recv(sock, 65536)
                    if not chunk:
                        raise ConnectionError("closed during handshake")
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                sid = str(next(self.sids))
                opening = wire.eio_open(sid, PING_INTERVAL_MS, PING_TIMEOUT_MS)
                await loop.sock_sendall(
                    sock, wire.upgrade_response(wire.request_key(head)) + wire.server_frame(opening)
                )
                while True:
                    frames, buf = wire.parse_client_frames(buf)
                    for frame in frames:
                        if frame.payload == b"40":
                            await loop.sock_sendall(
                                sock, wire.server_frame(wire.sio_connected(sid))
                            )
                        elif frame.payload.startswith(b"42"):
                            ack_id, symbols = _subscription(frame.payload)
                            await loop.sock_sendall(sock, wire.server_frame(_ack(ack_id, symbols)))
                            key = frozenset(symbols)
                            self.groups.setdefault(key, []).append(sock)
                            self.order.setdefault(key, tuple(sorted(key)))
                            self.clients += 1
                            return
                    chunk = await loop.sock_recv(sock, 65536)
                    if not chunk:
                        raise ConnectionError("closed during handshake")
                    buf += chunk
        except (OSError, ConnectionError, TimeoutError, ValueError):
            sock.close()

    def tick(self) -> None:
        changed, ts = self.next_batch()
        batch = self.payloads.of(changed, ts)
        order = self.order
        frames = [
            (f, socks) for key, socks in self.groups.items() if (f := batch.frame(order[key]))
        ]
        pending = self.pending
        gone: list[socket.socket] = []
        sends = skipped = 0
        started = time.thread_time()
        for frame, socks in frames:
            for sock in socks:
                if pending and sock in pending and not self._flush(sock):
                    skipped += 1
                    continue
                try:
                    n = sock.send(frame)
                except BlockingIOError:
                    skipped += 1
                    continue
                except OSError:
                    gone.append(sock)
                    continue
                sends += 1
                if n < len(frame):
                    pending[sock] = frame[n:]
        self.send_cpu_s += time.thread_time() - started
        self.sends += sends
        self.skipped += skipped
        if gone:
            self._forget(set(gone))

    def _flush(self, sock: socket.socket) -> bool:
        rest = self.pending[sock]
        try:
            n = sock.send(rest)
        except OSError:
            return False
        if n < len(rest):
            self.pending[sock] = rest[n:]
            return False
        del self.pending[sock]
        return True

    def _forget(self, gone: set[socket.socket]) -> None:
        for key in list(self.groups):
            kept = [s for s in self.groups[key] if s not in gone]
            if kept:
                self.groups[key] = kept
            else:
                del self.groups[key]
                del self.order[key]
        for sock in gone:
            self.pending.pop(sock, None)
            self.clients -= 1
            sock.close()


class RawWebsockets(Reference):
    """The `websockets` library's asyncio server: one `broadcast()` per distinct packet."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.groups: dict[frozenset[str], set[Any]] = {}

    async def serve(self) -> None:
        from websockets.asyncio.server import serve

        async with (
            serve(self._handler, "127.0.0.1", self.port, compression=None, ping_interval=None,
                  max_size=2**20, backlog=4096),
            asyncio.TaskGroup() as tasks,
        ):  # fmt: skip
            tasks.create_task(self.ticks())

    async def _handler(self, ws: Any) -> None:
        sid = str(next(self.sids))
        async with asyncio.timeout(60):
            await ws.send(wire.eio_open(sid, PING_INTERVAL_MS, PING_TIMEOUT_MS).decode())
            if await ws.recv() != "40":
                return
            await ws.send(wire.sio_connected(sid).decode())
            ack_id, symbols = _subscription((await ws.recv()).encode())
            await ws.send(_ack(ack_id, symbols).decode())
        key = frozenset(symbols)
        self.groups.setdefault(key, set()).add(ws)
        self.clients += 1
        try:
            async for _ in ws:
                pass
        finally:
            self.clients -= 1
            group = self.groups.get(key)
            if group is not None:
                group.discard(ws)
                if not group:
                    del self.groups[key]

    def tick(self) -> None:
        from websockets.asyncio.server import broadcast

        changed, ts = self.next_batch()
        started = time.thread_time()
        batch = self.payloads.of(changed, ts)
        sends = 0
        for key, conns in self.groups.items():
            packet = batch.packet(sorted(key & changed))
            if packet:
                broadcast(conns, packet.decode())
                sends += len(conns)
        self.send_cpu_s += time.thread_time() - started
        self.sends += sends


async def _main() -> None:
    kind = sys.argv[1]
    config = load_config(sys.argv[2])
    server: Floor | RawWebsockets = Floor(config) if kind == "floor" else RawWebsockets(config)
    serving = asyncio.create_task(server.serve())
    try:
        await serve_commands(
            {"mark": server.mark, "report": server.report, "replay": server.replay}
        )
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving


if __name__ == "__main__":
    try:
        run(_main)
    except KeyboardInterrupt:  # pragma: no cover
        reply({"event": "interrupted"})
