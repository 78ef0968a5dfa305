"""Hostile clients of the HTTP API and the subscription protocol, replayed against a real
`cryptotracker serve` process fed by the simulator (issue 10): while each attack runs, a
well-behaved client's batches keep coming (no gap of 300 ms or more), the server logs no
traceback, its memory comes back, and no answer echoes more than 1 KiB of what the attacker
sent (the target and `attack()` are in conftest.py; protocol-level attackers are in
test_hostile_protocol.py)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import orjson
import pytest
import socketio

from tests.cluster.kit import Tracker, Watcher
from tests.security.yardstick import MAX_ECHO, attack, rss_mb

pytestmark = pytest.mark.slow


def addresses() -> Iterator[str]:
    """A fresh client address per request (through the trusted proxy, loopback): no bucket
    ever runs dry, so every request reaches the parser."""
    for i in itertools.count():
        yield f"203.0.{(i // 250) % 250}.{i % 250 + 1}"


async def pooled(count: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> None:
    queue = iter(range(count))

    async def worker() -> None:
        for i in queue:
            await one(i)

    async with asyncio.timeout(30):
        await asyncio.gather(*(worker() for _ in range(concurrency)))


def small(reply: httpx.Response, sent: bytes) -> None:
    """No answer carries more than MAX_ECHO bytes, nor any long piece of the request."""
    assert len(reply.content) <= MAX_ECHO, (reply.status_code, reply.content[:200])
    assert sent[100:164] not in reply.content or len(sent) < 200


async def test_telemetry_bodies_built_to_stall_the_loop(server: Tracker, watcher: Watcher) -> None:
    keys = {f"{i:x}": 1 for i in range(111_000)}  # 995 KB: 3.3 s and a 16 MB reply before
    near_limit = {f"v{i:05d}": 1 for i in range(5_800)}  # just under 64 KiB: parsed, refused
    bodies = [
        (orjson.dumps({"webVitals": keys}), 413),
        (orjson.dumps({"webVitals": near_limit}), 422),
        (orjson.dumps({"fpsSamples": [float(i) for i in range(7_000)]}), 422),
        (b'{"loadTimeMs": 1e309, "fpsSamples": [NaN], "webVitals": {"LCP": Infinity}}', 422),
    ]
    assert len(bodies[1][0]) < 64 * 1024 < len(bodies[0][0]) < 1024 * 1024
    source = addresses()
    headers = {"content-type": "application/json"}
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
        attack("telemetry bodies", server, watcher),
    ):

        async def one(i: int) -> None:
            body, status = bodies[i % len(bodies)]
            forwarded = {**headers, "X-Forwarded-For": next(source)}
            reply = await http.post("/api/telemetry", content=body, headers=forwarded)
            assert reply.status_code == status, (i % len(bodies), reply.text[:200])
            small(reply, body)

        await pooled(400, 4, one)


async def test_a_50_mb_body_is_refused_from_its_headers(server: Tracker) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        head = (
            "POST /api/telemetry HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {50 * 1024 * 1024}\r\n\r\n"
        )
        writer.write(head.encode())  # refused before any of the body is needed
        await writer.drain()
        async with asyncio.timeout(5):
            reply = await reader.read()  # the server answers and closes without the rest
        assert reply.startswith(b"HTTP/1.1 413") and len(reply) < MAX_ECHO
    finally:
        writer.close()


async def test_one_address_cannot_flood_telemetry_or_inflate_counters(
    server: Tracker, watcher: Watcher
) -> None:
    counter = "cryptotracker_client_reconnects_total"
    before = await asyncio.to_thread(server.metric, counter) or 0.0
    body = orjson.dumps({"reconnects": 10_000})
    codes: list[int] = []
    headers = {"X-Forwarded-For": "203.0.113.66", "content-type": "application/json"}
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
        attack("1000 telemetry posts, one address", server, watcher),
    ):
        started = time.monotonic()

        async def one(_: int) -> None:
            reply = await http.post("/api/telemetry", content=body, headers=headers)
            codes.append(reply.status_code)
            small(reply, body)

        await pooled(1000, 4, one)
        took = time.monotonic() - started
    accepted = codes.count(204)
    assert set(codes) == {204, 429}
    assert accepted <= 10 + 0.5 * took + 1  # the burst, then 0.5/s (production.env's defaults)
    after = await asyncio.to_thread(server.metric, counter) or 0.0
    assert after - before <= accepted * 60  # clamped per report
    print(f"1000 posts: {accepted} accepted, reconnects_total +{after - before:.0f}")


async def test_candle_limits_sprayed_from_many_addresses(server: Tracker, watcher: Watcher) -> None:
    fetched = 'cryptotracker_candle_requests_total{result="fetched"}'
    calls_before = await asyncio.to_thread(server.metric, fetched) or 0.0
    rss_before = rss_mb(server.proc.pid)
    source = addresses()
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
        attack("900 distinct candle limits", server, watcher),
    ):

        async def one(i: int) -> None:
            headers = {"X-Forwarded-For": next(source)}
            url = f"/api/candles/{watcher.symbols[0]}?interval=1m&limit={i + 1}"
            reply = await http.get(url, headers=headers)
            assert reply.status_code == 200, reply.text[:200]
            assert len(reply.json()["candles"]) == i + 1

        await pooled(900, 8, one)
    calls = (await asyncio.to_thread(server.metric, fetched) or 0.0) - calls_before
    grew = rss_mb(server.proc.pid) - rss_before
    print(f"900 limits: {calls:.0f} upstream calls, RSS +{grew:.1f} MB")
    assert calls <= 3  # one per 5 s of cache
    assert grew < 64  # was +350 MB with an entry per limit


async def test_candle_keys_sprayed_from_many_addresses(server: Tracker, watcher: Watcher) -> None:
    """Every (symbol, interval) once, each from a new address: upstream calls stay paced."""
    fetched = 'cryptotracker_candle_requests_total{result="fetched"}'
    calls_before = await asyncio.to_thread(server.metric, fetched) or 0.0
    keys = list(itertools.product(watcher.symbols, ("1m", "5m")))
    source = addresses()
    codes: list[int] = []
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
        attack(f"{len(keys)} candle keys", server, watcher),
    ):
        started = time.monotonic()

        async def one(i: int) -> None:
            symbol, interval = keys[i]
            url = f"/api/candles/{symbol}?interval={interval}&limit=1000"
            reply = await http.get(url, headers={"X-Forwarded-For": next(source)})
            codes.append(reply.status_code)

        await pooled(len(keys), 8, one)
        took = time.monotonic() - started
    calls = (await asyncio.to_thread(server.metric, fetched) or 0.0) - calls_before
    print(f"{len(keys)} keys: {calls:.0f} upstream calls in {took:.2f} s, {codes.count(503)} x 503")
    assert set(codes) <= {200, 503}
    assert calls <= 5 + 2 * took + 1  # CANDLE_UPSTREAM_BURST, then _PER_S
    assert codes.count(503) > 0


async def test_candle_subscriptions_of_made_up_symbols(server: Tracker, watcher: Watcher) -> None:
    client = socketio.AsyncClient(reconnection=False)
    errors: list[dict[str, Any]] = []
    client.on("error", lambda env: errors.append(env["data"]))
    real = [
        {"symbol": s, "interval": i}
        for s, i in itertools.product(watcher.symbols[:10], ("1m", "5m", "1h"))
    ]
    headers = {"X-Forwarded-For": "203.0.113.77"}
    await client.connect(server.url, transports=["websocket"], headers=headers, wait_timeout=10)
    try:
        async with attack("candle subscription spray", server, watcher):
            for n in range(50):
                made_up = [{"symbol": f"FAKE{n}X{i}USDT", "interval": "1m"} for i in range(10)]
                request = {"candles": made_up + real[n % 3 :: 3][:10]}
                ack = await client.call("subscribe", request, timeout=10)
                size = len(orjson.dumps(ack))
                assert size <= 4096 and ack["candleCount"] <= 20, size
        assert {e["code"] for e in errors} <= {"unknown_symbol", "too_many_symbols"}
        assert any(e["code"] == "unknown_symbol" for e in errors)
        assert all(len(orjson.dumps(e)) <= MAX_ECHO for e in errors)
    finally:
        await client.disconnect()


async def test_docs_and_metrics_are_not_public(server: Tracker) -> None:
    outside = {"X-Forwarded-For": "203.0.113.99"}
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await http.get(path)).status_code == 404, path
        assert (await http.get("/metrics", headers=outside)).status_code == 403
