"""The built web app (web/dist) at `/`, with index.html for client-side routes; /assets are
long-cached by api/headers.py, everything else here is revalidated."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from cryptotracker.api.headers import NO_CACHE

# Server paths, never the web app's: with serve_docs off they are 404, not index.html.
RESERVED = frozenset({"docs", "docs/oauth2-redirect", "redoc", "openapi.json", "metrics"})

NOT_BUILT = """<!doctype html><title>Crypto Tracker</title>
<p>The web app is not built. Run <code>make run</code> (it builds <code>web/dist</code>).</p>"""


def mount_web(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    assets = dist / "assets"
    # Files of the build, listed once: no filesystem calls (or path tricks) per request.
    files = {p.relative_to(dist).as_posix(): p for p in dist.rglob("*") if p.is_file()}
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")

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
