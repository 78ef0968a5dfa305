"""Clients that attack the protocol layer (each found by probing the earlier server): none of
them may hold memory, time or another client's session."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
from websockets.exceptions import ConnectionClosed

from cryptotracker.app import Tracker
from tests.gateway.rawclient import (
    client_frame,
    event_of,
    next_event,
    open_socket,
    raw_upgrade,
    read_frame,
)
from tests.harness import QuietExchange, serve
from tests.support import wait_for

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
POLLING = "/socket.io/?EIO=4&transport=polling"


@contextlib.asynccontextmanager
async def polling(**settings: Any) -> AsyncIterator[tuple[Tracker, httpx.AsyncClient]]:
    """A server and an HTTP client for it (long-polling by hand)."""
    async with (
        serve(exchange=QuietExchange(SYMBOLS), **settings) as (tracker, url),
        httpx.AsyncClient(base_url=url, timeout=5) as http,
    ):
        yield tracker, http


async def handshake(http: httpx.AsyncClient, **headers: str) -> str:
    reply = await http.get(POLLING, headers=headers)
    assert reply.status_code == 200, reply.text
    return str(orjson.loads(reply.content[1:])["sid"])


async def test_frame_over_max_payload_is_refused_from_its_header() -> None:
    """A frame announcing 15 MiB is answered (error, close 1009) after its header: the server
    never waits for, or buffers, the payload."""
    async with serve(exchange=QuietExchange(SYMBOLS)) as (tracker, url):
        reader, writer = await raw_upgrade(int(url.rsplit(":", 1)[1]))
        assert (await read_frame(reader))[1].startswith(b"0{")
        writer.write(client_frame(b"40"))
        assert (await read_frame(reader))[1].startswith(b"40")
        writer.write(client_frame(b"x" * 1024, length=15 * 1024 * 1024))  # 1 KiB of 15 MiB
        await writer.drain()
        frames = []
        async with asyncio.timeout(5):
            while (frame := await read_frame(reader))[0] != 8:  # until the close frame
                frames.append(frame[1])
        assert int.from_bytes(frame[1][:2], "big") == 1009
        errors = [e[1]["data"]["code"] for f in frames if (e := event_of(f)) and e[0] == "error"]
        assert errors == ["payload_too_large"]
        async with asyncio.timeout(5):
            assert await reader.read() == b""  # and the server ends the connection
        writer.close()
        await wait_for(lambda: not tracker.gateway.engine.sessions, 5, "session gone")


async def test_unfinished_fragments_are_bounded_by_max_payload() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS), max_message_bytes=4096) as (_, url):
        reader, writer = await raw_upgrade(int(url.rsplit(":", 1)[1]))
        await read_frame(reader)
        for _ in range(3):  # 3 KiB fragments of one never-ending message
            writer.write(client_frame(b"4" + b"y" * 3071, fin=False))
        await writer.drain()
        async with asyncio.timeout(5):
            while (frame := await read_frame(reader))[0] != 8:
                pass
        assert int.from_bytes(frame[1][:2], "big") == 1009
        writer.close()


async def test_binary_event_declaring_a_million_attachments_is_refused() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (_, url):
        ws = await open_socket(url)
        await ws.send('451000000-["subscribe",{"_placeholder":true,"num":0}]')
        error = await next_event(ws, "error")
        assert error["data"]["code"] == "invalid_payload"
        await ws.send(b"\x00\x01")  # not an attachment of anything: refused too
        assert (await next_event(ws, "error"))["data"]["code"] == "invalid_payload"
        await ws.send('421["subscribe",{"symbols":["BTCUSDT"]}]')  # text is text again
        async with asyncio.timeout(5):
            while not str(await ws.recv()).startswith("431"):
                pass
        await ws.close()


async def test_polling_post_over_max_payload_gets_413_at_once_and_ends_the_session() -> None:
    async with polling() as (tracker, http):
        sid = await handshake(http)
        body = b"4" + b"z" * (tracker.settings.max_message_bytes + 1)
        reply = await http.post(f"{POLLING}&sid={sid}", content=body)
        assert reply.status_code == 413
        assert sid not in tracker.gateway.engine.sessions
        assert (await http.get(f"{POLLING}&sid={sid}")).status_code == 400


async def test_probe_body_over_polling_is_answered_at_once() -> None:
    async with polling() as (_, http):
        sid = await handshake(http)
        reply = await http.post(f"{POLLING}&sid={sid}", content=b"2probe")
        assert reply.status_code == 200


async def test_overlapping_polls_are_refused_at_once_and_close_the_session() -> None:
    async with polling() as (tracker, http):
        sid = await handshake(http)
        first = asyncio.create_task(http.get(f"{POLLING}&sid={sid}"))
        parked = tracker.gateway.engine.sessions[sid]
        await wait_for(lambda: parked.poll is not None, 5, "a parked poll")
        second = await http.get(f"{POLLING}&sid={sid}")
        assert second.status_code == 400
        assert (await first).content == b"1"  # the parked poll learns the session closed
        assert sid not in tracker.gateway.engine.sessions


async def test_session_that_never_connects_is_closed_after_the_connect_timeout() -> None:
    async with polling(connect_timeout_s=0.5) as (tracker, http):
        sid = await handshake(http)
        await wait_for(lambda: sid not in tracker.gateway.engine.sessions, 5, "timeout")


async def test_sessions_count_against_the_address_cap_from_the_handshake() -> None:
    limits: dict[str, Any] = {"max_connections_per_ip": 2, "limit_exempt_ips": []}
    async with polling(**limits) as (_, http):
        me = {"X-Forwarded-For": "198.51.100.4"}
        await handshake(http, **me)
        await handshake(http, **me)  # two sessions that never send CONNECT
        sid = await handshake(http, **me)
        await http.post(f"{POLLING}&sid={sid}", content=b"40", headers=me)
        reply = await http.get(f"{POLLING}&sid={sid}", headers=me)
        assert reply.content.startswith(b"44{"), reply.content
        assert "too many connections" in orjson.loads(reply.content[2:])["message"]


async def test_packets_are_rate_limited_before_any_connect() -> None:
    limits: dict[str, Any] = {"client_message_burst": 5, "flood_disconnect_after": 20}
    async with serve(exchange=QuietExchange(SYMBOLS), **limits) as (tracker, url):
        reader, writer = await raw_upgrade(int(url.rsplit(":", 1)[1]))
        await read_frame(reader)
        for _ in range(200):
            writer.write(client_frame(b"x"))  # not even an Engine.IO packet
        await writer.drain()
        async with asyncio.timeout(5):
            while (await read_frame(reader))[0] != 8:
                pass
        writer.close()
        await wait_for(lambda: not tracker.gateway.engine.sessions, 5, "flooder gone")


async def test_request_with_too_many_headers_is_answered_431_and_closed() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (_, url):
        reader, writer = await asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1]))
        headers = b"".join(b"X-H%d: v\r\n" % i for i in range(200))
        writer.write(b"GET " + POLLING.encode() + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        async with asyncio.timeout(5):
            reply = await reader.read()
        assert reply.startswith(b"HTTP/1.1 431")
        writer.close()


async def test_headers_that_never_end_get_408() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS), http_header_timeout_s=0.5) as (_, url):
        reader, writer = await asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1]))
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        async with asyncio.timeout(5):
            reply = await reader.read()
        assert reply.startswith(b"HTTP/1.1 408")
        writer.close()


async def test_a_session_id_alone_does_not_open_another_address_session() -> None:
    async with polling() as (tracker, http):
        victim = {"X-Forwarded-For": "198.51.100.7"}
        sid = await handshake(http, **victim)
        thief = {"X-Forwarded-For": "198.51.100.8"}
        assert (await http.get(f"{POLLING}&sid={sid}", headers=thief)).status_code == 400
        closing = await http.post(f"{POLLING}&sid={sid}", content=b"1", headers=thief)
        assert closing.status_code == 400
        assert sid in tracker.gateway.engine.sessions


async def test_error_events_never_carry_python_exception_text() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (_, url):
        ws = await open_socket(url)
        for frame in ('42["ping",1,2,3]', '42["subscribe"]', '42["unsubscribe",null,{}]',
                      "42[1]", '42["subscribe",{"symbols":[1,{"a":[]}]}]', "4\xff"):  # fmt: skip
            await ws.send(frame)
        messages = []
        with contextlib.suppress(TimeoutError, ConnectionClosed):
            async with asyncio.timeout(1):
                while True:
                    if (got := event_of(await ws.recv())) and got[0] == "error":
                        messages.append(orjson.dumps(got[1]["data"]).decode())
        assert len(messages) >= 5
        for text in messages:
            assert "Traceback" not in text and "positional argument" not in text, text
            assert "object has no attribute" not in text, text
        await ws.close()


async def test_expect_100_continue_is_answered_so_the_body_follows() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (_, url):
        reader, writer = await asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1]))
        body = b'{"events":[]}'
        head = b"POST /api/telemetry HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        writer.write(head + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        async with asyncio.timeout(5):
            assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
            writer.write(body)
            final = await reader.readuntil(b"\r\n\r\n")
        assert final.startswith(b"HTTP/1.1 "), final
        writer.close()
