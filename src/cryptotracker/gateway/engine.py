"""Engine.IO v4 server: sessions over WebSocket or HTTP long-polling, the polling → WebSocket
upgrade, heartbeat, close and maxPayload, as the protocol (and its official test suite) says.

The HTTP server hands every request under the Socket.IO path here; each answer is written at
once or, for a long-poll GET with nothing to send, when something is queued. A session's owner
(the Socket.IO layer) gets its messages through `EngineApp`."""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import parse_qs

import orjson
import structlog

from cryptotracker.gateway.eio_codec import (
    EioDecodeError,
    decode_payload,
    encode_payload,
    encode_text,
)
from cryptotracker.gateway.session import (
    BEHIND,
    GONE,
    NOOP,
    SENT,
    EngineApp,
    EngineConfig,
    Outgoing,
    PollAnswer,
    Probe,
    Request,
    Responder,
    Session,
)
from cryptotracker.gateway.websocket import HandshakeError, WebSocket, check_handshake, upgrade
from cryptotracker.metrics import ENGINE_REFUSED

__all__ = ["BEHIND", "GONE", "SENT", "Engine", "EngineApp", "EngineConfig", "Outgoing",
           "Request", "Responder", "Session"]  # fmt: skip

log = structlog.get_logger(__name__)

_MAX_POLL_PACKETS = 1000


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
            return conn.respond(200, [*cors, *self.poll_headers], NOOP)
        if session is None or session.address != req.client:
            return self._bad(conn, cors, "unknown session id")
        if session.ws is not None or session.closed:
            return self._bad(conn, cors, "session is not polling")
        if req.method == b"GET":
            self._get(session, conn, cors)
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

    def _get(self, session: Session, conn: Responder, cors: list[tuple[bytes, bytes]]) -> None:
        if session.poll is not None:
            # Two concurrent GETs: the Engine.IO spec's answer is to close the session.
            self._bad(conn, cors, "overlapping poll")
            session.close("overlapping poll")
            return
        headers = [*cors, *self.poll_headers]
        if session.outbox:
            body, session.outbox = encode_payload(session.outbox), []
            return conn.respond(200, headers, body)
        session.poll = PollAnswer(conn, headers)
        conn.park(session.poll_lost)

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
            if session.ws is not None or session.probe is not None:
                # As the reference server: a second WebSocket for a session that has (or is
                # getting) one is accepted and closed at once.
                ENGINE_REFUSED.labels("bad_request").inc()
                upgrade(conn.transport, key, config.max_payload, 0, _refused, b"").close()
                return
            target = session

            def probe(ws: WebSocket) -> Probe:
                target.probe = ws
                return Probe(target, ws)

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
        session.schedule_ping()
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


def _query(raw: bytes) -> dict[str, str]:
    parsed = parse_qs(raw.decode("latin-1"), keep_blank_values=True, max_num_fields=20)
    return {k: v[0] for k, v in parsed.items()}


def _check_query(query: dict[str, str], transport: str) -> str | None:
    if query.get("EIO") != "4":
        return "unsupported protocol version (EIO=4 expected)"
    if query.get("transport") != transport:
        return f"transport must be {transport}"
    return None
