"""The web app as api/web.py serves it: the service worker and manifest are revalidated (a deploy
reaches installed apps), and /api/prices names the build of the index.html it serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from cryptotracker.api.web import build_id
from tests.harness import QuietExchange, serve

BUILD = "0a1b2c3d4e5f"
INDEX = f'<!doctype html><title>t</title><meta name="build-id" content="{BUILD}">'


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (tmp_path / "manifest.webmanifest").write_text('{"name": "Crypto Tracker"}')
    async with (
        serve(exchange=QuietExchange(["BTCUSDT"]), web_dist=str(tmp_path)) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client


async def test_service_worker_and_manifest_are_revalidated_not_long_cached(
    http: httpx.AsyncClient,
) -> None:
    for path, kind in (
        ("/sw.js", "text/javascript"),
        ("/manifest.webmanifest", "application/manifest+json"),
    ):
        reply = await http.get(path)
        assert reply.status_code == 200, path
        assert reply.headers["content-type"].startswith(kind), path
        assert reply.headers["cache-control"] == "no-cache", path
        assert "script-src 'self'" in reply.headers["content-security-policy"], path


async def test_prices_name_the_build_of_the_served_index(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/prices")).json()["build"] == BUILD


def test_build_id_is_read_from_the_meta_tag_and_absent_without_one() -> None:
    assert build_id(INDEX) == BUILD
    assert build_id('<meta name="build-id"\n    content="abc123">') == "abc123"
    assert build_id("<!doctype html><title>dev</title>") is None
    assert build_id('<meta name="build-id" content="<script>">') is None
