"""Hardened HTTP: one pure ASGI middleware that answers HEAD on every GET route and adds the
security and cache headers (Content-Security-Policy, nosniff, Referrer-Policy, long-cached
hashed assets)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The web app runs under this: no inline script or style (React sets styles through the CSSOM,
# which style-src does not govern), the favicon is a data: URL, Socket.IO goes to our own host.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'; connect-src 'self'"
)
# Swagger UI and ReDoc (serve_docs) load from a CDN with an inline script: they get no CSP.
NO_CSP_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
# Vite names every file under /assets after its content hash: it never changes under its name.
IMMUTABLE = b"public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
# A Host header safe to name in the policy: a DNS name or IPv4 or [IPv6], and a port.
_HOST = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")


def csp_for(host: bytes | None) -> bytes:
    """The policy, with the WebSocket origins of the request's own host in connect-src:
    CSP level 2 browsers do not count ws:/wss: as 'self'. A malformed Host names none."""
    policy = CSP
    name = (host or b"").decode("latin-1")
    if _HOST.fullmatch(name):
        policy += f" ws://{name} wss://{name}"
    return policy.encode("latin-1")


class HardenedHttp:
    """HEAD runs as GET (the HTTP server sends the head and drops the body, keeping the GET's
    Content-Length); every answer gets the headers above unless the route set its own."""

    def __init__(self, app: AsgiApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            scope = dict(scope, method="GET")
        path: str = scope["path"]
        host = next((v for k, v in scope["headers"] if k == b"host"), None)

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                have = {bytes(k).lower() for k, _ in headers}
                extra = list(ALWAYS)
                if path not in NO_CSP_PATHS:
                    extra.append((b"content-security-policy", csp_for(host)))
                if path.startswith("/assets/") and message["status"] in (200, 304):
                    extra.append((b"cache-control", IMMUTABLE))
                headers += [(k, v) for k, v in extra if k not in have]
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_hardened)
