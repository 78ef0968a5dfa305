"""The HTTP/1.1 server on the tracker's one port: requests parsed by httptools (llhttp), those
under the Socket.IO path handed to the Engine.IO server (polling, WebSocket upgrades), every
other to the ASGI app (FastAPI). Bounded at every step: header count and size, body size, the
time to send the headers, idle keep-alive."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import cast

import httptools
import structlog

from cryptotracker.gateway.asgi import AsgiApp, run_http
from cryptotracker.gateway.engine import Engine, Request
from cryptotracker.metrics import HTTP_REFUSED

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class HttpLimits:
    max_headers: int = 100
    max_header_bytes: int = 16 * 1024
    max_url_bytes: int = 8 * 1024
    max_body: int = 1024 * 1024
    header_timeout_s: float = 10.0
    keepalive_s: float = 75.0


class Forwarded:
    """The client's address: the peer's, or — when the peer is a trusted proxy — the nearest
    untrusted address in X-Forwarded-For (as uvicorn's `forwarded_allow_ips`)."""

    def __init__(self, trusted: str) -> None:
        parts = [p.strip() for p in trusted.split(",") if p.strip()]
        self._any = "*" in parts
        self._nets = [ipaddress.ip_network(p, strict=False) for p in parts if p != "*"]

    def trusted(self, host: str) -> bool:
        if self._any:
            return True
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(ip in net for net in self._nets)

    def client(self, peer: str, header: bytes | None) -> str:
        if header is None or not self.trusted(peer):
            return peer
        hops = [h.strip() for h in header.decode("latin-1").split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.trusted(hop):
                return hop
        return hops[0] if hops else peer


# How long a refused request's connection reads and drops what the client still sends.
LINGER_S = 2.0


class _RefusedError(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class HttpConnection(asyncio.Protocol):
    """One client connection until it upgrades to a WebSocket (then the transport belongs to
    `websocket.WebSocket`). Requests are answered one at a time, in order."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.peer = ""
        self.port = 0
        self._parser = httptools.HttpRequestParser(self)
        self._url = b""
        self._headers: dict[bytes, bytes] = {}
        self._header_bytes = 0
        self._body: list[bytes] = []
        self._body_size = 0
        self._pending: list[Request] = []
        self._busy = False
        self._keep_alive = True
        self._upgrading = False
        self._timer: asyncio.TimerHandle | None = None
        self._on_lost: Callable[[], None] | None = None
        self._lost: asyncio.Future[None] | None = None
        self._discarding = False
        self.closed = False

    # ---- asyncio ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not subclasses of asyncio.Transport, only alike.
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        if peer:
            self.peer, self.port = str(peer[0]), int(peer[1])
        self.server.connections.add(self)
        self._arm(self.server.limits.header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.connections.discard(self)
        self._disarm()
        on_lost, self._on_lost = self._on_lost, None
        if on_lost is not None:
            on_lost()
        if self._lost is not None and not self._lost.done():
            self._lost.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            self._upgrade(data[upgrade.args[0] :])
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__
            status = cause.status if isinstance(cause, _RefusedError) else 400
            if status == 413 and self._for_engine():
                # Engine.IO: a payload over maxPayload also ends its session.
                self.server.engine.payload_too_large(self._request())
            self._refuse(status)
        except httptools.HttpParserError:
            self._refuse(400)

    # ---- httptools callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._header_bytes = 0
        self._body = []
        self._body_size = 0
        if not self._busy:
            self._arm(self.server.limits.header_timeout_s)

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > self.server.limits.max_url_bytes:
            raise _RefusedError(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        limits = self.server.limits
        self._header_bytes += len(name) + len(value)
        if len(self._headers) >= limits.max_headers or self._header_bytes > limits.max_header_bytes:
            raise _RefusedError(431)
        key = name.lower()
        old = self._headers.get(key)
        self._headers[key] = value if old is None else old + b", " + value

    def on_headers_complete(self) -> None:
        if not self._busy:
            self._disarm()
        length = self._headers.get(b"content-length")
        if length is not None and (
            not length.isdigit() or int(length) > self.server.limits.max_body
        ):
            raise _RefusedError(413)
        self._upgrading = self._parser.should_upgrade()
        if self._headers.get(b"expect", b"").lower() == b"100-continue" and not self._busy:
            # The client waits for this before sending a body it was told would fit.
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._body_size += len(body)
        if self._body_size > self._max_body():
            raise _RefusedError(413)
        self._body.append(body)

    def _for_engine(self) -> bool:
        return self._url.startswith(self.server.engine.config.path.encode())

    def _max_body(self) -> int:
        """Long-polling bodies are bounded by Engine.IO's maxPayload, others by max_body."""
        if self._for_engine():
            return self.server.engine.config.max_payload
        return self.server.limits.max_body

    def on_message_complete(self) -> None:
        if self._upgrading:
            return
        request = self._request()
        self._keep_alive = self._parser.should_keep_alive()
        if self._busy:
            self._pending.append(request)
            self.transport.pause_reading()  # one request in flight, a few parsed behind it
        else:
            self._dispatch(request)

    # ---- requests --------------------------------------------------------------------------

    def _request(self) -> Request:
        parsed = httptools.parse_url(self._url)
        server = self.server
        return Request(
            method=self._parser.get_method(),
            path=(parsed.path or b"/").decode("latin-1"),
            query=parsed.query or b"",
            headers=self._headers,
            body=b"".join(self._body),
            client=server.forwarded.client(self.peer, self._headers.get(b"x-forwarded-for")),
        )

    def _dispatch(self, request: Request) -> None:
        self._busy = True
        server = self.server
        if request.path.startswith(server.engine.config.path):
            server.engine.handle_http(request, self)
        else:
            task = asyncio.get_running_loop().create_task(run_http(server.app, request, self))
            server.tasks.add(task)
            task.add_done_callback(server.tasks.discard)

    def _upgrade(self, rest: bytes) -> None:
        self._disarm()
        request = self._request()
        if self._busy or not request.path.startswith(self.server.engine.config.path):
            self._refuse(400)
            return
        self._busy = True
        self.server.connections.discard(self)
        self.server.engine.handle_upgrade(request, self, rest)

    def _refuse(self, status: int) -> None:
        if self.transport.is_closing() or self._discarding:
            return
        self._busy = True
        HTTP_REFUSED.labels(str(status)).inc()
        body = HTTPStatus(status).phrase.encode()
        self.write_head(status, [], len(body), close=True)
        self.transport.write(body)
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        # The client may still be sending what we refused: end our side, then read and drop
        # until it ends its side (or LINGER_S), since closing with its data unread would
        # reset the connection and lose the answer.
        self.transport.write_eof()
        self._discarding = True
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(LINGER_S, self.transport.close)

    # ---- answers (engine.Responder and the ASGI bridge) ------------------------------------

    def respond(
        self, status: int, headers: list[tuple[bytes, bytes]], body: bytes, close: bool = False
    ) -> None:
        self._on_lost = None
        if self.closed:
            return
        self.write_head(status, headers, len(body), close)
        self.transport.write(body)
        self.finish(close)

    def write_head(
        self, status: int, headers: list[tuple[bytes, bytes]], length: int | None, close: bool
    ) -> None:
        close = close or not self._keep_alive
        phrase = HTTPStatus(status).phrase.encode() if status in _STATUSES else b"Status"
        lines = [b"HTTP/1.1 %d %s" % (status, phrase)]
        lines.extend(name + b": " + value for name, value in headers)
        if length is not None:
            lines.append(b"content-length: %d" % length)
        else:
            lines.append(b"transfer-encoding: chunked")
        lines.append(b"connection: close" if close else b"connection: keep-alive")
        self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n")

    def finish(self, close: bool = False) -> None:
        """The answer is complete: next request, or close."""
        self._busy = False
        if close or not self._keep_alive:
            self.transport.close()
            return
        if self._pending:
            request = self._pending.pop(0)
            if not self._pending:
                self.transport.resume_reading()
            self._dispatch(request)
        else:
            self._arm(self.server.limits.keepalive_s)

    def park(self, on_lost: Callable[[], None]) -> None:
        self._on_lost = on_lost

    def lost(self) -> asyncio.Future[None]:
        """Done when the client goes (the ASGI `http.disconnect`)."""
        if self._lost is None:
            self._lost = asyncio.get_running_loop().create_future()
            if self.closed:
                self._lost.set_result(None)
        return self._lost

    # ---- timers ----------------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        if self._busy:
            return
        if self._url or self._headers:  # a request began and its headers never ended
            self._refuse(408)
        else:
            self.transport.close()


_STATUSES = frozenset(s.value for s in HTTPStatus)


class HttpServer:
    def __init__(
        self,
        app: AsgiApp,
        engine: Engine,
        forwarded: Forwarded,
        limits: HttpLimits | None = None,
    ) -> None:
        self.app = app
        self.engine = engine
        self.forwarded = forwarded
        self.limits = limits or HttpLimits()
        self.connections: set[HttpConnection] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.scope_server: tuple[str, int] | None = None

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: HttpConnection(self), host, port, backlog=4096, reuse_address=True
        )
        sock = self._server.sockets[0].getsockname()
        self.scope_server = (str(sock[0]), int(sock[1]))

    @property
    def port(self) -> int:
        assert self.scope_server is not None
        return self.scope_server[1]

    async def stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()

    async def close(self, timeout_s: float) -> None:
        """Stop accepting, let requests in flight finish (bounded), close what is left."""
        await self.stop_listening()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while self.tasks:
                    await asyncio.gather(*self.tasks, return_exceptions=True)
        for task in list(self.tasks):
            task.cancel()
        for conn in list(self.connections):
            conn.transport.close()
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await self._server.wait_closed()
