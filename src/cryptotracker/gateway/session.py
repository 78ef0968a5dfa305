"""One Engine.IO v4 session: what is queued for it, its heartbeat, how it ends, and the
WebSocket that upgrades it from long-polling (`2probe` → `3probe`, then `5`). The engine
(`engine.py`) creates sessions and answers the HTTP requests that reach them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from cryptotracker.gateway.eio_codec import (
    EioDecodeError,
    EioType,
    decode_payload,
    decode_text,
    encode_payload,
    encode_payload_record,
    encode_text,
)
from cryptotracker.gateway.websocket import WebSocket, text_frame
from cryptotracker.metrics import ENGINE_REFUSED

if TYPE_CHECKING:
    from cryptotracker.gateway.engine import Engine

# What `Session.offer` says of a frame offered by the fan-out.
SENT, BEHIND, GONE = 0, 1, 2
_PING = encode_text(EioType.PING)
_PING_FRAME = text_frame(_PING)
NOOP = encode_text(EioType.NOOP)
_CLOSE = encode_text(EioType.CLOSE)
# Packets a polling session may have waiting before the fan-out counts it as behind.
_MAX_POLL_BACKLOG = 16


class Outgoing(Protocol):
    """A packet built once for many sessions (encode.OutFrame)."""

    @property
    def frame(self) -> bytes:
        """The packet as a WebSocket text frame."""

    @property
    def packet(self) -> bytes:
        """The Engine.IO text packet."""


@dataclass(slots=True)
class Request:
    """One HTTP request as the HTTP server parsed it (header names lower case)."""

    method: bytes
    path: str
    query: bytes
    headers: dict[bytes, bytes]
    body: bytes
    client: str


class Responder(Protocol):
    """The HTTP connection a request came on."""

    transport: asyncio.Transport

    def respond(
        self, status: int, headers: list[tuple[bytes, bytes]], body: bytes, close: bool = False
    ) -> None: ...

    def park(self, on_lost: Callable[[], None]) -> None:
        """The answer comes later; call `on_lost` if the connection goes first."""


class EngineApp(Protocol):
    """The layer above Engine.IO (Socket.IO)."""

    def opened(self, session: Session) -> None: ...

    def message(self, session: Session, data: bytes, binary: bool) -> None: ...

    def inbound(self, session: Session, data: bytes) -> bool:
        """Every packet from the client, before it is read: False drops it (rate limits)."""

    def too_big(self, session: Session) -> None:
        """A message over maxPayload arrived; the session closes next."""

    def closed(self, session: Session, reason: str) -> None: ...


@dataclass(frozen=True, slots=True)
class EngineConfig:
    ping_interval_s: float
    ping_timeout_s: float
    max_payload: int
    # Allowed page origins, or None for any (the conformance server's `origin: *`).
    cors_origins: frozenset[str] | None
    route: str = ""
    path: str = "/socket.io/"
    # Per-connection kernel send buffer (SO_SNDBUF) and user-space backlog before a client
    # counts as behind.
    send_buffer: int = 32 * 1024
    max_backlog: int = 64 * 1024


class Session:
    """One Engine.IO session. `ws` is set while the transport is a WebSocket."""

    __slots__ = (
        "_flush_handle",
        "_max_backlog",
        "_timer",
        "address",
        "app_state",
        "awaiting_pong",
        "closed",
        "engine",
        "outbox",
        "poll",
        "probe",
        "sid",
        "ws",
    )

    def __init__(self, engine: Engine, sid: str, address: str) -> None:
        self.engine = engine
        self.sid = sid
        self.address = address
        self.ws: WebSocket | None = None
        self.probe: WebSocket | None = None  # a WebSocket upgrading this polling session
        self.outbox: list[bytes] = []  # polling: records waiting for the next GET
        self.poll: PollAnswer | None = None
        self._flush_handle: asyncio.Handle | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.awaiting_pong = False
        self.closed = False
        self.app_state: object = None  # the Socket.IO layer's per-session state
        self._max_backlog = engine.config.max_backlog

    # ---- sending ---------------------------------------------------------------------------

    def send(self, packet: bytes) -> None:
        """One Engine.IO text packet (type digit + data)."""
        if self.closed:
            return
        ws = self.ws
        if ws is not None:
            ws.send_text(packet)
        else:
            self.queue(packet)

    def send_binary(self, data: bytes) -> None:
        if self.closed:
            return
        if self.ws is not None:
            self.ws.send_binary(data)
        else:
            self.queue(encode_payload_record(data, binary=True))

    def offer(self, out: Outgoing) -> int:
        """The fan-out's call, for a packet built once for many sessions: SENT, BEHIND
        (backlog over the limit: nothing written) or GONE."""
        ws = self.ws
        if ws is not None:
            if not ws.open:
                return GONE
            transport = ws.transport
            frame = out.frame
            # Behind: more waiting than the backlog limit, or than a few of these frames (a
            # client of many symbols gets large ones).
            waiting = transport.get_write_buffer_size()
            if waiting > self._max_backlog and waiting > 4 * len(frame):
                return BEHIND
            transport.write(frame)
            return SENT
        if self.closed:
            return GONE
        if len(self.outbox) > _MAX_POLL_BACKLOG:
            return BEHIND
        self.queue(out.packet)
        return SENT

    def push(self, out: Outgoing) -> bool:
        """Write `out` whatever the backlog; False when the session is gone."""
        ws = self.ws
        if ws is not None:
            return ws.write(out.frame)
        if self.closed:
            return False
        self.queue(out.packet)
        return True

    def backlog(self) -> int | None:
        """Bytes (WebSocket) or packets (polling) not yet written; None once closed."""
        if self.closed:
            return None
        if self.ws is not None:
            return self.ws.transport.get_write_buffer_size() + (1 if self.ws.paused else 0)
        return len(self.outbox)

    def queue(self, record: bytes) -> None:
        self.outbox.append(record)
        if self.poll is not None and self._flush_handle is None:
            # Packets queued in the same tick leave in one response.
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        poll = self.poll
        if poll is None or not self.outbox:
            return
        self.poll = None
        body, self.outbox = encode_payload(self.outbox), []
        poll.respond(200, self.engine.poll_headers, body)

    # ---- heartbeat -------------------------------------------------------------------------

    def schedule_ping(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.engine.config.ping_interval_s, self._ping)

    def _ping(self) -> None:
        if self.closed:
            return
        self.awaiting_pong = True
        if self.ws is not None:
            self.ws.write(_PING_FRAME)
        else:
            self.queue(_PING)
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.engine.config.ping_timeout_s, self._pong_due)

    def _pong_due(self) -> None:
        if self.awaiting_pong:
            self.close("ping timeout")
        else:
            self.schedule_ping()

    # ---- receiving -------------------------------------------------------------------------

    def receive(self, data: bytes, binary: bool) -> None:
        """One packet from the client (a WebSocket message or a polling record)."""
        engine = self.engine
        if self.closed or not engine.app.inbound(self, data):
            return
        if binary:
            engine.app.message(self, data, True)
            return
        try:
            packet = decode_text(data)
        except EioDecodeError:
            ENGINE_REFUSED.labels("bad_packet").inc()
            self.close("parse error")
            return
        kind = packet.type
        if kind is EioType.MESSAGE:
            engine.app.message(self, packet.data, False)
        elif kind is EioType.PONG:
            if self.awaiting_pong:
                self.awaiting_pong = False
                if self._timer is not None:
                    self._timer.cancel()
                self.schedule_ping()
        elif kind is EioType.CLOSE:
            self.close("client close", noop=True)
        # PING from a client, UPGRADE outside an upgrade, NOOP: nothing to do.

    # ---- ending ----------------------------------------------------------------------------

    def close(self, reason: str, noop: bool = False, listen: bool = True) -> None:
        """End the session: a pending poll gets CLOSE (NOOP when the client asked), a
        WebSocket a close frame (and, with `listen=False`, nothing more of its is read)."""
        if self.closed:
            return
        self.closed = True
        for handle in (self._timer, self._flush_handle):
            if handle is not None:
                handle.cancel()
        self._timer = self._flush_handle = None
        engine = self.engine
        engine.sessions.pop(self.sid, None)
        if self.poll is not None:
            poll, self.poll = self.poll, None
            poll.respond(200, engine.poll_headers, NOOP if noop else _CLOSE)
        elif noop and self.ws is None:
            # The client's poll may still be on its way (sent with the close, on another
            # connection): it gets NOOP, not an error, if it arrives soon.
            engine.remember_closed(self)
        self.outbox = []
        for ws in (self.ws, self.probe):
            if ws is not None:
                ws.close(listen=listen)
        self.ws = self.probe = None
        engine.app.closed(self, reason)

    def poll_lost(self) -> None:
        self.poll = None

    # ---- transports ------------------------------------------------------------------------

    def ws_message(self, data: bytes, binary: bool) -> None:
        self.receive(data, binary)

    def ws_too_big(self) -> None:
        self.engine.app.too_big(self)

    def ws_closed(self) -> None:
        self.ws = None
        self.close("transport close")


class Probe:
    """A WebSocket upgrading a polling session: `2probe` → `3probe`, then `5` switches."""

    __slots__ = ("session", "ws")

    def __init__(self, session: Session, ws: WebSocket) -> None:
        self.session = session
        self.ws = ws

    def ws_message(self, data: bytes, binary: bool) -> None:
        session = self.session
        if session.closed:
            self.ws.close()
        elif data == b"2probe" and not binary:
            self.ws.send_text(b"3probe")
            # The client's pending poll returns so it can stop polling.
            if session.poll is not None:
                session.queue(NOOP)
        elif data == b"5" and not binary:
            session.probe = None
            session.ws = self.ws
            self.ws.sink = session
            outbox, session.outbox = session.outbox, []
            if session.poll is not None:
                poll, session.poll = session.poll, None
                poll.respond(200, session.engine.poll_headers, NOOP)
            for record in outbox:
                if record[:1] == b"b":
                    self.ws.send_binary(decode_payload(record, 1)[0].data)
                elif record != NOOP:
                    self.ws.send_text(record)
        else:
            self.ws.close()

    def ws_too_big(self) -> None:
        pass

    def ws_closed(self) -> None:
        if self.session.probe is self.ws:
            self.session.probe = None


class PollAnswer:
    """A parked long-poll GET: answered with the CORS headers of its own request."""

    __slots__ = ("conn", "headers")

    def __init__(self, conn: Responder, headers: list[tuple[bytes, bytes]]) -> None:
        self.conn = conn
        self.headers = headers

    def respond(self, status: int, _: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.conn.respond(status, self.headers, body)
