"""Security basics at the edge: CORS only for configured origins, per-connection and per-address
limits (addresses from X-Forwarded-For, as nginx sends them, believed from loopback only)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import socketio

from tests.harness import QuietExchange, Recorder, serve

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"]
ALLOWED = "https://tracker.example.com"
REFUSED = "https://evil.example.net"


async def test_cors_answers_the_configured_origin_and_refuses_others() -> None:
    """A page on the site's own origin may call the API and open a socket; a page elsewhere
    gets no CORS grant from the API and no Socket.IO connection."""
    async with serve(exchange=QuietExchange(SYMBOLS), cors_origins=[ALLOWED]) as (_, url):
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            preflight = {"Access-Control-Request-Method": "GET"}
            ok = await http.options("/api/prices", headers={"Origin": ALLOWED, **preflight})
            assert ok.status_code == 200
            assert ok.headers["access-control-allow-origin"] == ALLOWED
            bad = await http.options("/api/prices", headers={"Origin": REFUSED, **preflight})
            assert bad.status_code == 400
            assert "access-control-allow-origin" not in bad.headers
            plain = await http.get("/api/prices", headers={"Origin": REFUSED})
            assert "access-control-allow-origin" not in plain.headers

            handshake = "/socket.io/?EIO=4&transport=polling"
            assert (await http.get(handshake, headers={"Origin": ALLOWED})).status_code == 200
            # The page the server serves itself needs no configuration, whatever its port.
            assert (await http.get(handshake, headers={"Origin": url})).status_code == 200
            assert (await http.get(handshake, headers={"Origin": REFUSED})).status_code == 400

        client = Recorder()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.sio.connect(url, transports=["websocket"], headers={"Origin": REFUSED},
                                     wait_timeout=5)  # fmt: skip
        await client.sio.disconnect()


async def connect_from(url: str, address: str) -> Recorder:
    client = Recorder()
    await client.sio.connect(
        url, transports=["websocket"], headers={"X-Forwarded-For": address}, wait_timeout=5
    )
    return client


async def test_connections_per_address_are_capped() -> None:
    """A fourth tab from one address is refused with a reason; another address still gets in."""
    limits: dict[str, Any] = {"max_connections_per_ip": 3, "limit_exempt_ips": []}
    async with serve(exchange=QuietExchange(SYMBOLS), **limits) as (_, url):
        clients = [await connect_from(url, "203.0.113.5") for _ in range(3)]
        refused = Recorder()
        reasons: list[Any] = []
        refused.sio.on("connect_error", reasons.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.sio.connect(url, transports=["websocket"], wait_timeout=5,
                                      headers={"X-Forwarded-For": "203.0.113.5"})  # fmt: skip
        assert "too many connections" in str(reasons)
        other = await connect_from(url, "203.0.113.6")
        await clients[0].close()  # a slot frees up when a tab closes
        again = await connect_from(url, "203.0.113.5")
        for c in [*clients[1:], other, again]:
            await c.close()


async def test_subscriptions_per_address_are_capped_across_connections() -> None:
    limits: dict[str, Any] = {"max_symbols_per_ip": 3, "limit_exempt_ips": []}
    async with serve(exchange=QuietExchange(SYMBOLS), **limits) as (_, url):
        a = await connect_from(url, "203.0.113.7")
        b = await connect_from(url, "203.0.113.7")
        assert (await a.call("subscribe", {"symbols": SYMBOLS[:2]}))["ok"]
        refused = await b.call("subscribe", {"symbols": SYMBOLS[2:]})
        assert refused["ok"] is False and refused["error"]["code"] == "too_many_symbols"
        assert (await b.call("subscribe", {"symbols": SYMBOLS[2:3]}))["ok"]
        await a.call("unsubscribe", {"symbols": SYMBOLS[:2]})
        assert (await b.call("subscribe", {"symbols": SYMBOLS[3:]}))["ok"]
        await a.close()
        await b.close()


async def test_message_rate_per_connection_answers_rate_limited_then_disconnects() -> None:
    """Over its rate a client's requests are answered `rate_limited` at once (not processed);
    a client that keeps going is disconnected. Every packet counts from the first (the
    Socket.IO CONNECT took one of the burst of 5)."""
    limits: dict[str, Any] = {
        "client_messages_per_s": 5, "client_message_burst": 5, "flood_disconnect_after": 10,
    }  # fmt: skip
    async with serve(exchange=QuietExchange(SYMBOLS), **limits) as (_, url):
        client = Recorder()
        await client.connect(url)
        acks = await asyncio.gather(
            *(client.call("ping", {"requestId": f"p{i}"}) for i in range(8))
        )
        assert sum(a["ok"] for a in acks) == 4
        assert {a["error"]["code"] for a in acks if not a["ok"]} == {"rate_limited"}
        for _ in range(20):
            if not client.sio.connected:
                break
            await client.sio.emit("ping", {})
        await client.wait("error", count=5)
        async with asyncio.timeout(5):
            while client.sio.connected:
                await asyncio.sleep(0.02)
        messages = [e["data"]["message"] for e in client.of("error")]
        assert "disconnected: too many messages" in messages


async def test_per_address_message_rate_spans_connections() -> None:
    limits: dict[str, Any] = {"ip_messages_per_s": 1, "ip_message_burst": 4, "limit_exempt_ips": []}
    async with serve(exchange=QuietExchange(SYMBOLS), **limits) as (_, url):
        a = await connect_from(url, "203.0.113.9")
        b = await connect_from(url, "203.0.113.9")
        # The address's burst of 4: the two CONNECTs, then two pings.
        first = [await a.call("ping", {}) for _ in range(2)]
        second = [await b.call("ping", {}) for _ in range(3)]
        assert all(x["ok"] for x in first)
        assert [x["ok"] for x in second].count(False) >= 2
        await a.close()
        await b.close()


def test_ack_id_is_read_without_decoding_the_payload() -> None:
    from cryptotracker.gateway.limits import ack_id

    assert ack_id('212["subscribe",{}]') == 12
    assert ack_id('2["subscribe",{}]') is None
    assert ack_id("3[]") is None and ack_id("2" + "9" * 30 + "[") is None
