"""The server the official Socket.IO protocol test suite expects (socketio/socket.io-protocol,
`test-suite/`): our Engine.IO/Socket.IO layer with the suite's settings and its two
namespaces, nothing of the tracker. `make conformance` runs the suite against it.

    cryptotracker conformance [--port 3000]
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import MutableMapping
from typing import Any

from cryptotracker.gateway.asgi import Receive, Send
from cryptotracker.gateway.engine import EngineConfig, Session
from cryptotracker.gateway.http_server import Forwarded, HttpServer
from cryptotracker.gateway.sio_server import Socket, SocketServer

# The suite's server: pingInterval 300 ms, pingTimeout 200 ms, maxPayload 1e6, connectTimeout
# 1000 ms, CORS origin "*".
CONFIG = EngineConfig(
    ping_interval_s=0.3, ping_timeout_s=0.2, max_payload=1_000_000, cors_origins=None
)
CONNECT_TIMEOUT_S = 1.0
MAX_ATTACHMENTS = 10
AUTH_GAP_S = 0.01


class EchoNamespace:
    """On connection: emit `auth` with the handshake's payload. `message` is answered with
    `message-back` and the same arguments; `message-with-ack` is acknowledged with them."""

    def connect(self, sock: Socket, auth: Any) -> str | None:
        return None

    def connected(self, sock: Socket) -> None:
        # The suite adds its listener for `auth` only after it has handled the CONNECT reply
        # (a promise continuation later), so the two must not arrive in one TCP read: the
        # reference server writes the second only after the first write's callback; we leave
        # the same kind of gap.
        auth = sock.app_data if sock.app_data is not None else {}
        asyncio.get_running_loop().call_later(AUTH_GAP_S, sock.emit, "auth", auth)

    def event(self, sock: Socket, name: str, args: list[Any], ack_id: int | None) -> None:
        if name == "message":
            sock.emit("message-back", *args)
        elif name == "message-with-ack" and ack_id is not None:
            sock.ack(ack_id, args)

    def disconnect(self, sock: Socket, reason: str) -> None:
        pass


class _Auth(EchoNamespace):
    def connect(self, sock: Socket, auth: Any) -> str | None:
        sock.app_data = auth
        return None


class StrictPolicy:
    """The reference server's answer to anything malformed: close the session."""

    def admit(self, client: str) -> str | None:
        return None

    def opened(self, session: Session) -> None:
        pass

    def inbound(self, session: Session, data: bytes) -> bool:
        return True

    def invalid(self, session: Session, reason: str) -> None:
        session.close("parse error")

    def too_big(self, session: Session) -> None:
        pass

    def closed(self, session: Session) -> None:
        pass


async def _not_found(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b"not found"})


def build(policy: StrictPolicy | None = None) -> SocketServer:
    return SocketServer(
        {"/": _Auth(), "/custom": _Auth()},
        policy or StrictPolicy(),
        CONFIG,
        connect_timeout_s=CONNECT_TIMEOUT_S,
        max_attachments=MAX_ATTACHMENTS,
    )


async def serve(host: str, port: int, stop: asyncio.Event) -> None:
    sio = build()
    http = HttpServer(_not_found, sio.engine, Forwarded(""))
    await http.start(host, port)
    print(f"conformance server on http://{host}:{http.port}/socket.io/", flush=True)
    await stop.wait()
    sio.engine.close_all("shutdown")
    await http.close(timeout_s=1.0)


def run(host: str, port: int) -> None:
    import uvloop

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await serve(host, port, stop)

    uvloop.run(main())
