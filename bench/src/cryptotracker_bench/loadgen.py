"""Load generator: thousands of Socket.IO clients in one process, speaking Engine.IO v4 /
Socket.IO v5 over raw WebSocket frames on asyncio protocols (no task, no library per client).

    python -m cryptotracker_bench.loadgen CONFIG.json   # then JSON commands on stdin

It shares a core with the simulator, so a client's work per message is kept to the least that
keeps the counts exact: most clients only count messages and bytes and note each batch's
timestamp, read from the end of the frame without parsing the JSON (`wire.batch_receipt`). A few
"probe" clients per process parse every message and measure each update's exchange event time to
receipt. One "observer" client subscribed to every symbol records which symbols each batch
changed, so lost batches can be counted exactly (a client must get every batch that changed one
of its symbols). Raw figures go into lists during a window and are binned when it is reported."""

from __future__ import annotations

import asyncio
import socket
import struct
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

from cryptotracker_bench import wire
from cryptotracker_bench.stamped import StampedTransport, kernel_stamps_supported
from cryptotracker_bench.stats import Histogram
from cryptotracker_bench.worker import load_config, reply, run, serve_commands

_HTTP, _OPEN, _CONNECTING, _SUBSCRIBING, _READY, _CLOSED = range(6)
_EIO_MSG, _EIO_PING, _EIO_OPEN, _EIO_CLOSE = ord("4"), ord("2"), ord("0"), ord("1")
_SIO_EVENT, _SIO_ACK, _SIO_CONNECT, _SIO_CONNECT_ERROR = ord("2"), ord("3"), ord("0"), ord("4")
_PONG = wire.client_frame(b"3")
_SIO_CONNECT_FRAME = wire.client_frame(wire.sio_connect())
_LINGER_RST = struct.pack("ii", 1, 0)


@dataclass(slots=True)
class Window:
    """What every client of this process received since the last `mark`. Clients keep a
    reference to it, so it is reset in place."""

    started: float = field(default_factory=time.time)
    messages: int = 0
    bytes: int = 0  # WebSocket frame bytes of batch_update messages, headers included
    snapshots: int = 0
    other_events: int = 0
    probe_messages: int = 0
    late_messages: int = 0
    latency: Histogram = field(default_factory=Histogram)  # per update, probes only
    delivery: Histogram = field(default_factory=Histogram)  # per message, probes only
    lag: Histogram = field(default_factory=Histogram)  # probes: kernel arrival -> read here
    latencies: list[float] = field(default_factory=list)  # not yet binned into `latency`
    deliveries: list[float] = field(default_factory=list)  # not yet binned into `delivery`
    lags: list[float] = field(default_factory=list)  # not yet binned into `lag`
    arrivals: list[int] = field(default_factory=list)  # batch ts per stable receipt, untallied
    receipts: Counter[int] = field(default_factory=Counter)  # batch ts -> stable receivers
    batches: dict[int, frozenset[str]] = field(default_factory=dict)  # observer's log

    def fold(self) -> None:
        """Bin the raw lists (C-speed for the receipts; at report time for the rest)."""
        self.receipts.update(self.arrivals)
        self.arrivals.clear()
        self.latency.add_many(self.latencies)
        self.latencies.clear()
        self.delivery.add_many(self.deliveries)
        self.deliveries.clear()
        self.lag.add_many(self.lags)
        self.lags.clear()

    def reset(self) -> None:
        self.started = time.time()
        self.messages = self.bytes = self.snapshots = self.other_events = 0
        self.probe_messages = self.late_messages = 0
        self.latency, self.delivery, self.lag = Histogram(), Histogram(), Histogram()
        self.latencies.clear()
        self.deliveries.clear()
        self.lags.clear()
        self.arrivals.clear()
        self.receipts.clear()
        self.batches.clear()


# Arrivals tallied (by the observer, ten times a second) past this many: bounded memory.
_FOLD_AT = 100_000


class Client(asyncio.Protocol):
    __slots__ = (
        "arrived",
        "buf",
        "counting",
        "error",
        "first_batch_at",
        "gen",
        "key",
        "observer",
        "parser",
        "probe",
        "ready",
        "ready_at",
        "stable",
        "started",
        "state",
        "symbols",
        "transport",
        "window",
    )  # fmt: skip

    def __init__(self, gen: LoadGen, symbols: list[str], probe: bool, observer: bool = False):
        self.gen = gen
        self.symbols = symbols
        self.probe = probe or observer
        self.observer = observer
        self.parser = wire.FrameParser()
        self.state = _CLOSED
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.ready: asyncio.Future[None] | None = None
        self.started = 0.0
        self.ready_at = 0.0
        self.first_batch_at = 0.0
        self.stable = False
        self.error = ""
        self.key = b""
        self.window = gen.window
        self.arrived = 0.0  # kernel arrival of the data being read (stamped probes only)
        # Ready, not a probe, no partial frame held: every read goes through the cheap path.
        self.counting = False

    # ---- life cycle ----------------------------------------------------------------------

    def begin(self) -> asyncio.Future[None]:
        self.parser = wire.FrameParser()
        self.buf = b""
        self.state = _HTTP
        self.counting = False
        self.error = ""
        self.started = time.time()
        self.ready_at = self.first_batch_at = 0.0
        self.stable = False
        self.ready = asyncio.get_running_loop().create_future()
        return self.ready

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, though they behave as one.
        self.transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.key = wire.new_key()
        self.transport.write(
            wire.upgrade_request(self.gen.host, self.gen.port, self.gen.path, self.key)
        )

    def connection_lost(self, exc: Exception | None) -> None:
        if self.state != _READY and not self.error:
            self.error = f"closed in state {self.state}: {exc}"
        self.state = _CLOSED
        self.counting = self.stable = False
        self.transport = None
        self._settle()

    def abort(self) -> None:
        """Drop the connection at once (RST, no TIME_WAIT), as a network failure would."""
        if self.transport is not None:
            sock = self.transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
            self.transport.abort()

    def _settle(self) -> None:
        if self.ready is not None and not self.ready.done():
            if self.state == _READY:
                self.ready.set_result(None)
            else:
                self.ready.set_exception(ConnectionError(self.error or "not ready"))

    def _fail(self, why: str) -> None:
        self.error = why
        self.counting = False
        if self.transport is not None:
            self.transport.close()

    # ---- bytes in ------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.counting:
            ts = wire.batch_receipt(data)
            if ts >= 0:
                w = self.window
                w.messages += 1
                w.bytes += len(data)
                if self.stable:
                    w.arrivals.append(ts)
                if not self.first_batch_at:
                    self.first_batch_at = time.time()
                return
        self._read(data)
        self.counting = self.state == _READY and not self.probe and self.parser.empty

    def _read(self, data: bytes) -> None:
        """Anything but one whole batch frame: the handshake, acks, pings, split frames."""
        if self.state == _HTTP:
            self.buf += data
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            try:
                wire.parse_upgrade_response(self.buf[:end], self.key)
            except wire.ProtocolError as exc:
                self._fail(str(exc))
                return
            data, self.buf = self.buf[end + 4 :], b""
            self.state = _OPEN
            if not data:
                return
        try:
            frames = self.parser.feed(data)
        except wire.ProtocolError as exc:
            self._fail(str(exc))
            return
        for frame in frames:
            if frame.opcode == wire.OP_TEXT:
                self._text(frame.payload)
            elif frame.opcode == wire.OP_PING:
                self._send(wire.client_frame(frame.payload, wire.OP_PONG))
            elif frame.opcode == wire.OP_CLOSE:
                self._fail("server closed")

    def _send(self, frame: bytes) -> None:
        if self.transport is not None:
            self.transport.write(frame)

    def _text(self, p: bytes) -> None:
        kind = p[0]
        if kind == _EIO_MSG:
            sio = p[1]
            if sio == _SIO_EVENT:
                if p.startswith(wire.BATCH_PREFIX):
                    self.gen.on_batch(self, p)
                else:
                    self.gen.window.other_events += 1
            elif sio == _SIO_ACK:
                if self.state == _SUBSCRIBING:
                    self._now_ready()
            elif sio == _SIO_CONNECT:
                if self.symbols:
                    self.state = _SUBSCRIBING
                    self._send(wire.client_frame(wire.subscribe_event(self.symbols, 1)))
                else:
                    self._now_ready()
            elif sio == _SIO_CONNECT_ERROR:
                self._fail(f"connect refused: {p[:200]!r}")
        elif kind == _EIO_PING:
            self._send(_PONG)
        elif kind == _EIO_OPEN:
            self.state = _CONNECTING
            self._send(_SIO_CONNECT_FRAME)
        elif kind == _EIO_CLOSE:
            self._fail("engine.io close")

    def _now_ready(self) -> None:
        self.state = _READY
        self.ready_at = time.time()
        self._settle()


class LoadGen:
    def __init__(self, config: dict[str, Any]) -> None:
        self.host: str = config.get("host", "127.0.0.1")
        self.port: int = int(config["port"])
        self.path: str = config.get("path", wire.socketio_path())
        self.deadline_ms: float = float(config.get("deadline_ms", 125.0))
        self.concurrency: int = int(config.get("concurrency", 200))
        self.connect_timeout_s: float = float(config.get("connect_timeout_s", 60.0))
        # Probes read their sockets themselves, for the kernel's arrival time (bench.stamped).
        self.stamped = bool(config.get("kernel_stamps", True)) and kernel_stamps_supported()
        subs: list[list[str]] = config["subs"]
        # A few probes parse in full; the rest only count (see the module's docstring).
        probe_every = max(1, len(subs) // max(1, int(config.get("probes", 50))))
        self.window = Window()
        self.clients = [Client(self, s, probe=i % probe_every == 0) for i, s in enumerate(subs)]
        observe: list[str] | None = config.get("observer_symbols")
        self.observer = Client(self, observe, probe=True, observer=True) if observe else None
        self.recording = False

    # ---- every batch_update the cheap path did not take ------------------------------------

    def on_batch(self, client: Client, p: bytes) -> None:
        w = self.window
        w.messages += 1
        w.bytes += len(p) + wire.frame_header_size(len(p))
        if wire.is_snapshot(p):
            w.snapshots += 1
            return
        if not client.first_batch_at:
            client.first_batch_at = time.time()
        if not client.probe:
            ts = wire.batch_timestamp(p)
            if ts < 0:
                ts = int(wire.split_event(p)[1]["data"]["timestamp"])
            if client.stable:
                w.arrivals.append(ts)
            return
        self._probe(client, p)

    def _probe(self, client: Client, p: bytes) -> None:
        """Full parse: each update's age on arrival, the message's delivery time, lateness.
        Arrival is the kernel's receive time where the probe's socket is stamped, else now."""
        w = self.window
        now = time.time() * 1000.0
        if client.arrived:
            at = client.arrived * 1000.0
            w.lags.append(now - at)
        else:
            at = now
        data = wire.split_event(p)[1]["data"]
        ts: int = data["timestamp"]
        times = [u["lastUpdateTime"] for u in data["updates"]]
        w.latencies.extend([at - t for t in times])
        w.deliveries.append(at - ts)
        w.probe_messages += 1
        if times and at - min(times) > self.deadline_ms:
            w.late_messages += 1
        if client.stable:
            w.arrivals.append(ts)
        if client.observer and self.recording:
            w.batches[ts] = frozenset(u["symbol"] for u in data["updates"])
            if len(w.arrivals) > _FOLD_AT:
                w.receipts.update(w.arrivals)
                w.arrivals.clear()

    # ---- commands ------------------------------------------------------------------------

    def everyone(self) -> list[Client]:
        return self.clients + ([self.observer] if self.observer else [])

    async def _open(self, client: Client, gate: asyncio.Semaphore) -> float | None:
        loop = asyncio.get_running_loop()
        async with gate:
            ready = client.begin()
            try:
                async with asyncio.timeout(self.connect_timeout_s):
                    if client.probe and self.stamped:
                        await StampedTransport.connect(self.host, self.port, client)
                    else:
                        await loop.create_connection(lambda: client, self.host, self.port)
                    await ready
            except (OSError, ConnectionError, TimeoutError) as exc:
                client.error = client.error or f"{type(exc).__name__}: {exc}"
                client.abort()
                return None
            return client.ready_at - client.started

    async def _open_all(self, clients: list[Client]) -> dict[str, Any]:
        gate = asyncio.Semaphore(self.concurrency)
        started = time.time()
        times = await asyncio.gather(*(self._open(c, gate) for c in clients))
        ended = time.time()
        took = ended - started
        hist = Histogram()
        hist.add_many(t * 1000 for t in times if t is not None)
        errors = sorted({c.error for c in clients if c.state != _READY and c.error})[:5]
        counted = [t for c, t in zip(clients, times, strict=True) if not c.observer]
        return {
            "clients": len(counted),
            "connected": sum(1 for t in counted if t is not None),
            "took_s": took,
            # Wall-clock bounds, so the orchestrator can span processes: first connect
            # attempt, last client ready (CONNECT ack, or subscribe ack when subscribing).
            "first_at": started,
            "last_at": max((c.ready_at for c in clients if c.state == _READY), default=ended),
            "per_client": hist.to_json(),
            "errors": errors,
        }

    async def connect(self, _: dict[str, Any]) -> dict[str, Any]:
        todo = [c for c in self.everyone() if c.state != _READY]
        return await self._open_all(todo)

    async def mark(self, _: dict[str, Any]) -> dict[str, Any]:
        self.window.reset()
        self.recording = True
        for client in self.clients:
            client.stable = client.state == _READY
        return {"stable": sum(1 for c in self.clients if c.stable)}

    async def report(self, command: dict[str, Any]) -> dict[str, Any]:
        """Counters of the window. Lost batches count those made inside it: from the `mark` (a
        batch made before it may have reached some clients before it and the rest after) to
        `grace_ms` before now (a later one may still be in flight)."""
        w = self.window
        ended = time.time()
        w.fold()
        grace_ms = float(command.get("grace_ms", 1000))
        first, cutoff = w.started * 1000, ended * 1000 - grace_ms
        expected = received = 0
        stable = [frozenset(c.symbols) for c in self.clients if c.stable]
        for ts, changed in w.batches.items():
            if not first <= ts <= cutoff:
                continue
            expected += sum(1 for s in stable if not s.isdisjoint(changed))
            received += w.receipts.get(ts, 0)
        return {
            "duration_s": ended - w.started,
            "clients": len(self.clients),
            "ready": sum(1 for c in self.clients if c.state == _READY),
            "stable": len(stable),
            "messages": w.messages,
            "bytes": w.bytes,
            "snapshots": w.snapshots,
            "other_events": w.other_events,
            "probe_messages": w.probe_messages,
            "late_messages": w.late_messages,
            "observed_batches": len(w.batches),
            "expected_batches": expected,
            "received_batches": received,
            "latency": w.latency.to_json(),
            "delivery": w.delivery.to_json(),
            "lag": w.lag.to_json(),
            # The observer's log, in batch order: what the references replay.
            "changes": [sorted(w.batches[ts]) for ts in sorted(w.batches)]
            if command.get("changes")
            else [],
        }

    async def storm(self, command: dict[str, Any]) -> dict[str, Any]:
        """Drop every client at once, reconnect them all; time until each is back, subscribed,
        and has received a batch."""
        timeout_s = float(command.get("timeout_s", 60))
        dropped_at = time.time()
        old, self.clients = self.clients, [Client(self, c.symbols, c.probe) for c in self.clients]
        for client in old:
            client.abort()
        opened = await self._open_all(self.clients)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(c.first_batch_at or c.state != _READY for c in self.clients):
                break
            await asyncio.sleep(0.02)
        back = [c.ready_at - dropped_at for c in self.clients if c.state == _READY]
        receiving = [c.first_batch_at - dropped_at for c in self.clients if c.first_batch_at]
        receiving_ms = Histogram()
        receiving_ms.add_many(t * 1000 for t in receiving)
        return {
            **opened,
            "dropped": len(self.clients),
            "all_back_s": max(back) if len(back) == len(self.clients) else None,
            "all_receiving_s": max(receiving) if len(receiving) == len(self.clients) else None,
            "back": len(back),
            "receiving": len(receiving),
            "receiving_ms": receiving_ms.to_json(),
        }

    async def close(self, _: dict[str, Any]) -> dict[str, Any]:
        for client in self.everyone():
            if client.transport is not None:
                client.transport.close()
        await asyncio.sleep(0.2)
        return {}


async def _main() -> None:
    config = load_config(sys.argv[1])
    gen = LoadGen(config)
    await serve_commands({
        "connect": gen.connect, "mark": gen.mark, "report": gen.report,
        "storm": gen.storm, "close": gen.close,
    })  # fmt: skip


if __name__ == "__main__":
    try:
        run(_main)
    except KeyboardInterrupt:  # pragma: no cover
        reply({"event": "interrupted"})
