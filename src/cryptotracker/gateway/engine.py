"""Engine.IO v4 server: sessions over WebSocket or HTTP long-polling, the polling → WebSocket
upgrade, heartbeat, close and maxPayload, as the protocol (and its official test suite) says.

The HTTP server hands every request under the Socket.IO path here; each answer is written at
once or, for a long-poll GET with nothing to send, when something is queued. A session's owner
(the Socket.IO layer) gets its messages through `EngineApp`."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qs

import orjson
import structlog

from cryptotracker.gateway.eio_codec import (
    EioDecodeError,
    EioType,
    decode_payload,
    decode_text,
    encode_payload,
    encode_payload_record,
    encode_text,
)
from cryptotracker.gateway.websocket import (
    HandshakeError,
    WebSocket,
    binary_frame,
    check_handshake,
    text_frame,
    upgrade,
)
from cryptotracker.metrics import ENGINE_REFUSED

log = structlog.get_logger(__name__)

# What `Session.offer` says of a frame offered by the fan-out.
SENT, BEHIND, GONE = 0, 1, 2
_PING = encode_text(EioType.PING)
_PING_FRAME = text_frame(_PING)
_NOOP = encode_text(EioType.NOOP)
_CLOSE = encode_text(EioType.CLOSE)
_MAX_POLL_PACKETS = 1000
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
        "_outbox",
        "_poll",
        "_probe",
        "_timer",
        "address",
        "app_state",
        "awaiting_pong",
        "closed",
        "engine",
        "sid",
        "ws",
    )

    def __init__(self, engine: Engine, sid: str, address: str) -> None:
        self.engine = engine
        self.sid = sid
        self.address = address
        self.ws: WebSocket | None = None
        self._probe: WebSocket | None = None  # a WebSocket upgrading this polling session
        self._outbox: list[bytes] = []  # polling: records waiting for the next GET
        self._poll: _PollAnswer | None = None
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
            self._queue(packet)

    def send_binary(self, data: bytes) -> None:
        if self.closed:
            return
        if self.ws is not None:
            self.ws.send_binary(data)
        else:
            self._queue(encode_payload_record(data, binary=True))

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
        if len(self._outbox) > _MAX_POLL_BACKLOG:
            return BEHIND
        self._queue(out.packet)
        return SENT

    def push(self, out: Outgoing) -> bool:
        """Write `out` whatever the backlog; False when the session is gone."""
        ws = self.ws
        if ws is not None:
            return ws.write(out.frame)
        if self.closed:
            return False
        self._queue(out.packet)
        return True

    def backlog(self) -> int | None:
        """Bytes (WebSocket) or packets (polling) not yet written; None once closed."""
        if self.closed:
            return None
        if self.ws is not None:
            return self.ws.transport.get_write_buffer_size() + (1 if self.ws.paused else 0)
        return len(self._outbox)

    def _queue(self, record: bytes) -> None:
        self._outbox.append(record)
        if self._poll is not None and self._flush_handle is None:
            # Packets queued in the same tick leave in one response.
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        poll = self._poll
        if poll is None or not self._outbox:
            return
        self._poll = None
        body, self._outbox = encode_payload(self._outbox), []
        poll.respond(200, self.engine.poll_headers, body)

    # ---- heartbeat -------------------------------------------------------------------------

    def _schedule_ping(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.engine.config.ping_interval_s, self._ping)

    def _ping(self) -> None:
        if self.closed:
            return
        self.awaiting_pong = True
        if self.ws is not None:
            self.ws.write(_PING_FRAME)
        else:
            self._queue(_PING)
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.engine.config.ping_timeout_s, self._pong_due)

    def _pong_due(self) -> None:
        if self.awaiting_pong:
            self.close("ping timeout")
        else:
            self._schedule_ping()

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
                self._schedule_ping()
        elif kind is EioType.CLOSE:
            self.close("client close", noop=True)
        # PING from a client, UPGRADE outside an upgrade, NOOP: nothing to do.

    # ---- ending ----------------------------------------------------------------------------

    def close(self, reason: str, noop: bool = False) -> None:
        """End the session: a pending poll gets CLOSE (NOOP when the client asked), a
        WebSocket a close frame."""
        if self.closed:
            return
        self.closed = True
        for handle in (self._timer, self._flush_handle):
            if handle is not None:
                handle.cancel()
        self._timer = self._flush_handle = None
        engine = self.engine
        engine.sessions.pop(self.sid, None)
        if self._poll is not None:
            poll, self._poll = self._poll, None
            poll.respond(200, engine.poll_headers, _NOOP if noop else _CLOSE)
        elif noop and self.ws is None:
            # The client's poll may still be on its way (sent with the close, on another
            # connection): it gets NOOP, not an error, if it arrives soon.
            engine.remember_closed(self)
        self._outbox = []
        for ws in (self.ws, self._probe):
            if ws is not None:
                ws.close()
        self.ws = self._probe = None
        engine.app.closed(self, reason)

    def _poll_lost(self) -> None:
        self._poll = None

    # ---- transports ------------------------------------------------------------------------

    def ws_message(self, data: bytes, binary: bool) -> None:
        self.receive(data, binary)

    def ws_too_big(self) -> None:
        self.engine.app.too_big(self)

    def ws_closed(self) -> None:
        self.ws = None
        self.close("transport close")


class _Probe:
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
            if session._poll is not None:
                session._queue(_NOOP)
        elif data == b"5" and not binary:
            session._probe = None
            session.ws = self.ws
            self.ws.sink = session
            outbox, session._outbox = session._outbox, []
            if session._poll is not None:
                poll, session._poll = session._poll, None
                poll.respond(200, session.engine.poll_headers, _NOOP)
            for record in outbox:
                if record[:1] == b"b":
                    self.ws.send_binary(decode_payload(record, 1)[0].data)
                elif record != _NOOP:
                    self.ws.send_text(record)
        else:
            self.ws.close()

    def ws_too_big(self) -> None:
        pass

    def ws_closed(self) -> None:
        if self.session._probe is self.ws:
            self.session._probe = None


def _refused(ws: WebSocket) -> None:
    return None


class Engine:
    def __init__(self, app: EngineApp, config: EngineConfig) -> None:
        self.app = app
        self.config = config
        self.sessions: dict[str, Session] = {}
        # Polling sessions their client just closed (sid -> address), for its last poll.
        self._client_closed: dict[str, str] = {}
        self.poll_headers = [(b"content-type", b"text/plain; charset=UTF-8")]
        self._open = orjson.dumps(
            {
                "pingInterval": round(config.ping_interval_s * 1000),
                "pingTimeout": round(config.ping_timeout_s * 1000),
                "maxPayload": config.max_payload,
            }
        )

    def new_sid(self) -> str:
        token = secrets.token_urlsafe(15)
        return f"{self.config.route}.{token}" if self.config.route else token

    # ---- HTTP ------------------------------------------------------------------------------

    def cors_headers(self, req: Request) -> list[tuple[bytes, bytes]] | None:
        """CORS answer headers, or None when the page's origin is not allowed."""
        origin = req.headers.get(b"origin")
        if origin is None:
            return []
        allowed = self.config.cors_origins
        if allowed is not None and origin.decode("latin-1") not in allowed:
            return None
        return [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"Origin"),
        ]

    def handle_http(self, req: Request, conn: Responder) -> None:
        cors = self.cors_headers(req)
        if cors is None:
            ENGINE_REFUSED.labels("origin").inc()
            return conn.respond(400, [], b"origin not allowed")
        if req.method == b"OPTIONS":
            return conn.respond(
                204,
                [*cors, (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                 (b"access-control-allow-headers", b"content-type")],
                b"",
            )  # fmt: skip
        query = _query(req.query)
        error = _check_query(query, "polling")
        if error is not None:
            return self._bad(conn, cors, error)
        sid = query.get("sid")
        if sid is None:
            if req.method != b"GET":
                return self._bad(conn, cors, "a handshake is a GET")
            return self._open_polling(req, conn, cors)
        session = self.sessions.get(sid)
        if session is None and req.method == b"GET" and self._closed_by_client(sid, req.client):
            return conn.respond(200, [*cors, *self.poll_headers], _NOOP)
        if session is None or session.address != req.client:
            return self._bad(conn, cors, "unknown session id")
        if session.ws is not None or session.closed:
            return self._bad(conn, cors, "session is not polling")
        if req.method == b"GET":
            self._poll(session, conn, cors)
        elif req.method == b"POST":
            self._post(session, req, conn, cors)
        else:
            self._bad(conn, cors, "method not allowed")

    def _bad(self, conn: Responder, cors: list[tuple[bytes, bytes]], message: str) -> None:
        ENGINE_REFUSED.labels("bad_request").inc()
        body = orjson.dumps({"code": 3, "message": message})
        conn.respond(400, [*cors, (b"content-type", b"application/json")], body)

    def _open_polling(self, req: Request, conn: Responder, cors: list[tuple[bytes, bytes]]) -> None:
        session = self._new_session(req.client)
        handshake = self._handshake(session, upgrades=True)
        conn.respond(200, [*cors, *self.poll_headers], handshake)
        self.app.opened(session)

    def _poll(self, session: Session, conn: Responder, cors: list[tuple[bytes, bytes]]) -> None:
        if session._poll is not None:
            # Two concurrent GETs: the Engine.IO spec's answer is to close the session.
            self._bad(conn, cors, "overlapping poll")
            session.close("overlapping poll")
            return
        headers = [*cors, *self.poll_headers]
        if session._outbox:
            body, session._outbox = encode_payload(session._outbox), []
            return conn.respond(200, headers, body)
        session._poll = _PollAnswer(conn, headers)
        conn.park(session._poll_lost)

    def payload_too_large(self, req: Request) -> None:
        """A polling POST over maxPayload, refused by the HTTP server before it was read."""
        sid = _query(req.query).get("sid")
        session = None if sid is None else self.sessions.get(sid)
        if session is not None and session.address == req.client:
            ENGINE_REFUSED.labels("too_large").inc()
            self.app.too_big(session)
            session.close("payload too large")

    def _post(
        self, session: Session, req: Request, conn: Responder, cors: list[tuple[bytes, bytes]]
    ) -> None:
        if len(req.body) > self.config.max_payload:
            ENGINE_REFUSED.labels("too_large").inc()
            conn.respond(413, cors, b"payload too large")
            self.app.too_big(session)
            session.close("payload too large")
            return
        try:
            packets = decode_payload(req.body, _MAX_POLL_PACKETS)
        except EioDecodeError:
            ENGINE_REFUSED.labels("bad_packet").inc()
            self._bad(conn, cors, "malformed payload")
            session.close("parse error")
            return
        conn.respond(200, [*cors, (b"content-type", b"text/html")], b"ok")
        for packet in packets:
            if packet.binary:
                session.receive(packet.data, True)
            else:
                session.receive(encode_text(packet.type, packet.data), False)

    # ---- WebSocket -------------------------------------------------------------------------

    def handle_upgrade(self, req: Request, conn: Responder, rest: bytes) -> None:
        cors = self.cors_headers(req)
        if cors is None:
            ENGINE_REFUSED.labels("origin").inc()
            return conn.respond(400, [], b"origin not allowed", close=True)
        query = _query(req.query)
        error = _check_query(query, "websocket")
        try:
            key = check_handshake(req.headers)
        except HandshakeError as exc:
            error = error or str(exc)
        if error is not None:
            ENGINE_REFUSED.labels("bad_request").inc()
            return conn.respond(400, [], error.encode(), close=True)
        sid = query.get("sid")
        config = self.config
        if sid is not None:
            session = self.sessions.get(sid)
            if session is None or session.address != req.client:
                ENGINE_REFUSED.labels("bad_request").inc()
                return conn.respond(400, [], b"unknown session id", close=True)
            if session.ws is not None or session._probe is not None:
                # As the reference server: a second WebSocket for a session that has (or is
                # getting) one is accepted and closed at once.
                ENGINE_REFUSED.labels("bad_request").inc()
                upgrade(conn.transport, key, config.max_payload, 0, _refused, b"").close()
                return
            target = session

            def probe(ws: WebSocket) -> _Probe:
                target._probe = ws
                return _Probe(target, ws)

            upgrade(conn.transport, key, config.max_payload, config.send_buffer, probe, rest)
            return
        session = self._new_session(req.client)

        def attach(ws: WebSocket) -> Session:
            session.ws = ws
            ws.send_text(self._handshake(session, upgrades=False))
            return session

        upgrade(conn.transport, key, config.max_payload, config.send_buffer, attach, b"")
        self.app.opened(session)
        if rest and session.ws is not None:
            session.ws.data_received(rest)

    # ---- sessions --------------------------------------------------------------------------

    def _new_session(self, client: str) -> Session:
        session = Session(self, self.new_sid(), client)
        self.sessions[session.sid] = session
        session._schedule_ping()
        return session

    def _handshake(self, session: Session, upgrades: bool) -> bytes:
        return (
            b'0{"sid":"' + session.sid.encode() + b'","upgrades":'
            + (b'["websocket"]' if upgrades else b"[]") + b"," + self._open[1:]
        )  # fmt: skip

    def remember_closed(self, session: Session) -> None:
        self._client_closed[session.sid] = session.address
        loop = asyncio.get_running_loop()
        loop.call_later(self.config.ping_timeout_s, self._client_closed.pop, session.sid, None)

    def _closed_by_client(self, sid: str, client: str) -> bool:
        """True once for a session its client closed a moment ago."""
        return self._client_closed.get(sid) == client and bool(self._client_closed.pop(sid))

    def close_all(self, reason: str) -> None:
        for session in list(self.sessions.values()):
            session.close(reason)


class _PollAnswer:
    """A parked long-poll GET: answered with the CORS headers of its own request."""

    __slots__ = ("conn", "headers")

    def __init__(self, conn: Responder, headers: list[tuple[bytes, bytes]]) -> None:
        self.conn = conn
        self.headers = headers

    def respond(self, status: int, _: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.conn.respond(status, self.headers, body)


def _query(raw: bytes) -> dict[str, str]:
    parsed = parse_qs(raw.decode("latin-1"), keep_blank_values=True, max_num_fields=20)
    return {k: v[0] for k, v in parsed.items()}


def _check_query(query: dict[str, str], transport: str) -> str | None:
    if query.get("EIO") != "4":
        return "unsupported protocol version (EIO=4 expected)"
    if query.get("transport") != transport:
        return f"transport must be {transport}"
    return None


__all__ = [
    "BEHIND",
    "GONE",
    "SENT",
    "Engine",
    "EngineApp",
    "EngineConfig",
    "Request",
    "Responder",
    "Session",
    "binary_frame",
]
