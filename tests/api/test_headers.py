"""Hardened HTTP against a real server: the Content-Security-Policy and its WebSocket origins,
nosniff and Referrer-Policy on every answer, immutable hashed assets, a revalidated
index.html, and HEAD on every GET route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.harness import QuietExchange, serve

INDEX = b"<!doctype html><title>t</title><script type=module src=/assets/app-1a2b3c.js></script>"
ASSET = b"console.log('app')"
GET_ROUTES = ("/", "/watchlist", "/assets/app-1a2b3c.js", "/health", "/metrics", "/api/symbols")
GET_ROUTES += ("/api/prices", "/api/candles/BTCUSDT", "/docs", "/openapi.json")


@pytest.fixture
async def http(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / "assets" / "app-1a2b3c.js").write_bytes(ASSET)
    async with (
        serve(exchange=QuietExchange(["BTCUSDT"]), web_dist=str(tmp_path)) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client


def directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {name: values for name, *values in parts}


async def test_the_web_app_runs_under_a_strict_policy(http: httpx.AsyncClient) -> None:
    reply = await http.get("/portfolio")
    assert reply.status_code == 200 and reply.content == INDEX
    csp = directives(reply.headers["content-security-policy"])
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"] and csp["img-src"] == ["'self'", "data:"]
    host = http.base_url.netloc.decode()
    assert csp["connect-src"] == ["'self'", f"ws://{host}", f"wss://{host}"]


async def test_a_malformed_host_is_not_named_in_the_policy(http: httpx.AsyncClient) -> None:
    reply = await http.get("/", headers={"host": "evil.example; script-src *"})
    csp = directives(reply.headers["content-security-policy"])
    assert csp["connect-src"] == ["'self'"] and csp["script-src"] == ["'self'"]


async def test_every_answer_is_nosniff_with_a_referrer_policy(http: httpx.AsyncClient) -> None:
    for path in ("/", "/assets/app-1a2b3c.js", "/api/prices", "/health", "/api/nothing"):
        reply = await http.get(path)
        assert reply.headers["x-content-type-options"] == "nosniff", path
        assert reply.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert "content-security-policy" in reply.headers, path


async def test_api_docs_keep_working_without_the_policy(http: httpx.AsyncClient) -> None:
    # Swagger UI has an inline script and a CDN: the policy would blank the page.
    reply = await http.get("/docs")
    assert reply.status_code == 200 and "content-security-policy" not in reply.headers


async def test_hashed_assets_are_cached_for_a_year_and_index_is_revalidated(
    http: httpx.AsyncClient,
) -> None:
    asset = await http.get("/assets/app-1a2b3c.js")
    assert asset.content == ASSET
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    etag = {"if-none-match": asset.headers["etag"]}
    again = await http.get("/assets/app-1a2b3c.js", headers=etag)
    assert again.status_code == 304
    assert again.headers["cache-control"] == "public, max-age=31536000, immutable"
    for path in ("/", "/index.html", "/markets/BTCUSDT"):
        assert (await http.get(path)).headers["cache-control"] == "no-cache", path
    # A missing asset is not cached: the next deploy may bring it.
    missing = await http.get("/assets/app-000000.js")
    assert missing.status_code == 404 and "cache-control" not in missing.headers


async def test_head_answers_every_get_route_with_its_head_and_no_body(
    http: httpx.AsyncClient,
) -> None:
    for path in GET_ROUTES:
        got = await http.get(path)
        head = await http.head(path)
        # /health is 503 here (no prices yet): HEAD says the same.
        assert head.status_code == got.status_code and got.status_code in (200, 503), path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        if "content-length" in got.headers:
            assert head.headers["content-length"] == got.headers["content-length"], path


async def test_head_of_a_post_only_route_is_refused_as_get_is(http: httpx.AsyncClient) -> None:
    got = await http.get("/api/telemetry")
    assert got.status_code >= 400
    assert (await http.head("/api/telemetry")).status_code == got.status_code
