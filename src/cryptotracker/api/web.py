"""The built web app (web/dist) at `/`, with index.html for client-side routes; /assets are
long-cached by api/headers.py, everything else here (index.html, the service worker sw.js, the
manifest) is revalidated, so a deploy reaches browsers on their next visit."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from cryptotracker.api.headers import NO_CACHE

# Server paths, never the web app's: with serve_docs off they are 404, not index.html.
RESERVED = frozenset({"docs", "docs/oauth2-redirect", "redoc", "openapi.json", "metrics"})

# Written by the web build (vite.config.ts, buildId): the id /api/prices reports as `build`.
_BUILD_ID = re.compile(r'<meta\s+name="build-id"\s+content="([0-9A-Za-z_-]{1,64})"')

NOT_BUILT = """<!doctype html><title>Crypto Tracker</title>
<p>The web app is not built. Run <code>make run</code> (it builds <code>web/dist</code>).</p>"""


def build_id(index_html: str) -> str | None:
    """The build id an index.html names, None for one without (an older or a dev build)."""
    found = _BUILD_ID.search(index_html)
    return found.group(1) if found else None


def mount_web(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    app.state.web_build = build_id(index.read_text("utf-8")) if index.is_file() else None
    assets = dist / "assets"
    # Files of the build, listed once: no filesystem calls (or path tricks) per request.
    files = {p.relative_to(dist).as_posix(): p for p in dist.rglob("*") if p.is_file()}
    if assets.is_dir():
        # Scripts and styles gzipped for browsers that take it (all do): a third of the bytes
        # on a slow link when no compressing proxy (deploy/'s nginx) stands in front.
        static = GZipMiddleware(StaticFiles(directory=assets), minimum_size=1024, compresslevel=6)
        app.mount("/assets", static, name="assets")

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    async def spa(path: str) -> FileResponse | HTMLResponse:
        if path.startswith(("api/", "socket.io")) or path in RESERVED:
            raise HTTPException(404, "not found")
        # Not under /assets, so not named by content: revalidate every time.
        if path in files:
            return FileResponse(files[path], headers={"Cache-Control": NO_CACHE})
        if "index.html" in files:
            return FileResponse(index, headers={"Cache-Control": NO_CACHE})
        return HTMLResponse(NOT_BUILT, status_code=503)
