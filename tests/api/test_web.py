"""The built web app as the server hands it out: its scripts gzipped for browsers that take it."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.harness import QuietExchange, serve

SCRIPT = b"export const rows = [" + b"'a market row', " * 500 + b"];"


async def test_scripts_are_gzipped_for_browsers_that_take_it(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_bytes(b"<!doctype html><title>t</title>")
    (tmp_path / "assets" / "app-1a2b3c.js").write_bytes(SCRIPT)
    async with (
        serve(exchange=QuietExchange(["BTCUSDT"]), web_dist=str(tmp_path)) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        packed = await http.get("/assets/app-1a2b3c.js", headers={"Accept-Encoding": "gzip"})
        assert packed.status_code == 200
        assert packed.headers["content-encoding"] == "gzip"
        assert int(packed.headers["content-length"]) < len(SCRIPT) / 10
        assert packed.content == SCRIPT
        assert "accept-encoding" in packed.headers["vary"].lower()

        plain = await http.get("/assets/app-1a2b3c.js", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == SCRIPT
