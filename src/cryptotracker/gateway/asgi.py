"""The ASGI side of the HTTP server: one request → the app (FastAPI) → the answer, and the app's
lifespan. The request body is already whole and bounded when the app is called."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import structlog

from cryptotracker.gateway.engine import Request

if TYPE_CHECKING:
    from cryptotracker.gateway.http_server import HttpConnection

log = structlog.get_logger(__name__)

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

_ASGI = {"version": "3.0", "spec_version": "2.4"}


async def run_http(app: AsgiApp, request: Request, conn: HttpConnection) -> None:
    server = conn.server.scope_server
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": _ASGI,
        "http_version": "1.1",
        "method": request.method.decode("latin-1"),
        "scheme": "http",
        "path": unquote(request.path),
        "raw_path": request.path.encode("latin-1"),
        "query_string": request.query,
        "root_path": "",
        "headers": list(request.headers.items()),
        "client": (request.client, conn.port),
        "server": server,
        "state": {},
    }
    head = request.method == b"HEAD"
    sent_body = False
    started: Message | None = None
    head_written = False
    chunked = False
    done = False

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        await conn.lost()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal started, head_written, chunked, done
        if conn.closed or done:
            return
        kind = message["type"]
        if kind == "http.response.start":
            started = message
            return
        if kind != "http.response.body" or started is None:
            raise RuntimeError(f"unexpected ASGI message {kind!r}")
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if not head_written:
            head_written = True
            headers = [(bytes(k).lower(), bytes(v)) for k, v in started.get("headers", [])]
            length = next((v for k, v in headers if k == b"content-length"), None)
            headers = [(k, v) for k, v in headers if k not in (b"content-length", b"connection")]
            if length is not None:
                size: int | None = int(length)
            elif not more:
                size = len(body)
            else:
                size, chunked = None, True
            conn.write_head(int(started["status"]), headers, size, close=False)
        if body and not head:
            conn.transport.write(b"%x\r\n%s\r\n" % (len(body), body) if chunked else body)
        if not more:
            if chunked and not head:
                conn.transport.write(b"0\r\n\r\n")
            done = True
            conn.finish()

    try:
        await app(scope, receive, send)
    except Exception:
        log.exception("http_app_error", path=request.path[:200])
        if started is None and not conn.closed:
            conn.respond(500, [(b"content-type", b"text/plain")], b"internal error", close=True)
            return
    if not done and not conn.closed:
        conn.transport.close()


class Lifespan:
    """Runs the app's lifespan (startup before serving, shutdown after)."""

    def __init__(self, app: AsgiApp) -> None:
        self._app = app
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._started: asyncio.Future[None] | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        loop = asyncio.get_running_loop()
        self._started = loop.create_future()
        self._stopped = loop.create_future()
        self._task = loop.create_task(self._run(), name="lifespan")
        await self._to_app.put({"type": "lifespan.startup"})
        await self._started

    async def shutdown(self) -> None:
        if self._task is None or self._stopped is None:
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        try:
            await self._stopped
        except asyncio.CancelledError:
            self._task.cancel()  # our caller gave up: so does the app's shutdown
            raise
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        scope = {"type": "lifespan", "asgi": _ASGI, "state": {}}

        async def send(message: Message) -> None:
            kind = message["type"]
            future = self._started if kind.startswith("lifespan.startup") else self._stopped
            if future is None or future.done():
                return
            if kind.endswith(".failed"):
                future.set_exception(RuntimeError(message.get("message", "lifespan failed")))
            else:
                future.set_result(None)

        try:
            await self._app(scope, self._to_app.get, send)
        except Exception as exc:
            for future in (self._started, self._stopped):
                if future is not None and not future.done():
                    future.set_exception(exc)
