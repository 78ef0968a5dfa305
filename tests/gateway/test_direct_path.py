"""The fan-out's direct path over real sockets: each batch frame is written straight to the
client's transport, so ordering, upgrades, stalled and vanishing clients are tested on a real
server with real clients."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator

import httpx
import orjson
import socketio
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from cryptotracker.app import Tracker
from cryptotracker.metrics import SLOW_CLIENT_DISCONNECTS
from cryptotracker.pipeline.batch import Batch
from cryptotracker.protocol import PriceDict
from tests.gateway.rawclient import (
    client_frame,
    event_of,
    open_socket,
    raw_upgrade,
    read_frame,
    ws_url,
)
from tests.harness import QuietExchange, serve
from tests.support import wait_for

SYMBOLS = [f"C{i:03d}USDT" for i in range(200)]


def price(symbol: str, value: str) -> PriceDict:
    return {
        "symbol": symbol, "price": value, "priceChangePercent": "1.25", "high24h": value,
        "low24h": value, "volume24h": "98765432101.12345678",
        "lastUpdateTime": int(time.time() * 1000), "source": "simulator",
    }  # fmt: skip


@contextlib.asynccontextmanager
async def market(tracker: Tracker, symbols: list[str], every_s: float) -> AsyncIterator[None]:
    """Every symbol's price moves (1, 2, 3, …) every `every_s` while the block runs."""

    async def tick() -> None:
        n = 0
        while True:
            n += 1
            for s in symbols:
                tracker.aggregator.on_price(price(s, f"{n}.00000000"))
            await asyncio.sleep(every_s)

    task = asyncio.create_task(tick())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def delivered(tracker: Tracker) -> list[int]:
    """Timestamps of the batches the gateway hands to the fan-out, from now on (a subscriber
    of the bus after the gateway gets the same batches, admitted by the store)."""
    stamps: list[int] = []

    def record(batch: Batch) -> None:
        if batch.updates:
            stamps.append(batch.timestamp)

    tracker.bus.subscribe(record)
    return stamps


async def test_snapshot_then_ack_then_live_batches_in_order() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS), batch_interval_ms=20) as (tracker, url):
        tracker.store.apply([price("C001USDT", "0.50000000")])
        ws = await open_socket(url)
        async with market(tracker, ["C001USDT"], 0.005):
            await asyncio.sleep(0.1)  # batches are flowing (to nobody) when the client asks
            await ws.send('427["subscribe",{"symbols":["C001USDT"]}]')
            frames: list[str] = []
            async with asyncio.timeout(10):
                while sum(f.startswith('42["batch_update"') for f in frames) < 5:
                    frames.append(str(await ws.recv()))
        kinds = []
        for frame in frames:
            if frame.startswith("437"):
                kinds.append("ack")
            elif (got := event_of(frame)) and got[0] == "batch_update":
                kinds.append("snapshot" if got[1]["data"]["snapshot"] else "batch")
        # The current value first, the ack next, only then live batches.
        assert kinds[:2] == ["snapshot", "ack"], kinds
        assert set(kinds[2:]) == {"batch"}, kinds
        stamps = [e[1]["data"]["timestamp"] for f in frames if (e := event_of(f))]
        assert stamps[1:] == sorted(stamps[1:])
        await ws.close()


async def test_upgrade_while_batches_flow_loses_and_repeats_nothing() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS), batch_interval_ms=20) as (tracker, url):
        sent = delivered(tracker)
        got: list[int] = []
        client = socketio.AsyncClient(reconnection=False)

        @client.on("batch_update")
        def _on(data: dict[str, object]) -> None:
            inner = data["data"]
            assert isinstance(inner, dict)
            if not inner["snapshot"]:
                got.append(int(inner["timestamp"]))

        async with market(tracker, SYMBOLS[:3], 0.005):
            # Default transports: long-polling first, then the upgrade to WebSocket.
            await client.connect(url, wait_timeout=10)
            await client.call("subscribe", {"symbols": SYMBOLS[:3]}, timeout=10)
            await wait_for(lambda: client.transport() == "websocket", 10, "upgrade")
            await wait_for(lambda: len(got) >= 40, 10, "batches after the upgrade")
        await client.disconnect()
        assert got == sorted(set(got)), "a batch arrived twice or out of order"
        first, last = sent.index(got[0]), sent.index(got[-1])
        assert got == sent[first : last + 1], "a batch was lost across the upgrade"


async def test_batches_queued_during_the_probe_follow_on_the_websocket() -> None:
    """The upgrade by hand, pausing between probe and switch: what the server queued for the
    session meanwhile arrives on the WebSocket, in order, none missing."""
    async with serve(exchange=QuietExchange(SYMBOLS), batch_interval_ms=20) as (tracker, url):
        sent = delivered(tracker)
        base = "/socket.io/?EIO=4&transport=polling"
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            sid = orjson.loads((await http.get(base)).content[1:])["sid"]
            polling = f"{base}&sid={sid}"
            await http.post(polling, content=b"40")
            await http.post(polling, content=b'42["subscribe",{"symbols":["C001USDT"]}]')
            assert (await http.get(polling)).content.startswith(b"40")
            async with market(tracker, ["C001USDT"], 0.005):
                poll = asyncio.create_task(http.get(polling))
                ws = await connect(ws_url(url, f"&sid={sid}"))
                await ws.send("2probe")
                assert await ws.recv() == "3probe"
                records = (await poll).content.split(b"\x1e")
                polled = [e[1]["data"] for r in records if (e := event_of(r))]
                # The pending poll ended: with what was queued, or with the probe's NOOP.
                assert polled or records == [b"6"], records
                await wait_for(lambda: len(sent) >= 10, 5, "batches while probing")
                await ws.send("5")
                frames = []
                async with asyncio.timeout(10):
                    while len(frames) < 20:
                        if (got := event_of(await ws.recv())) and got[0] == "batch_update":
                            frames.append(got[1]["data"])
        live = [f["timestamp"] for f in polled + frames if not f["snapshot"]]
        # Every batch since the market opened, once, in order: by the last poll or the socket.
        assert live == sent[: len(live)]
        await ws.close()


async def test_packets_in_the_same_read_as_the_upgrade_reach_the_session() -> None:
    """`5` and the next packet in one TCP segment: the packet after the switch is the
    session's, not the probe's (which would close the connection)."""
    async with serve(exchange=QuietExchange(SYMBOLS)) as (_, url):
        base = "/socket.io/?EIO=4&transport=polling"
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            sid = orjson.loads((await http.get(base)).content[1:])["sid"]
            await http.post(f"{base}&sid={sid}", content=b"40")
            assert (await http.get(f"{base}&sid={sid}")).content.startswith(b"40")
            port = int(url.rsplit(":", 1)[1])
            reader, writer = await raw_upgrade(port, query=f"&sid={sid}")
            writer.write(client_frame(b"2probe"))
            assert await read_frame(reader) == (1, b"3probe")
            writer.write(client_frame(b"5") + client_frame(b'423["ping",{}]'))
            async with asyncio.timeout(5):
                while not (frame := await read_frame(reader))[1].startswith(b"433"):
                    assert frame[0] != 8, "the server closed the upgraded connection"
            writer.close()


async def test_stalled_client_is_bounded_then_dropped_and_others_keep_up() -> None:
    settings = {"batch_interval_ms": 20, "slow_client_max_lag_s": 1.0}
    async with serve(exchange=QuietExchange(SYMBOLS), **settings) as (tracker, url):
        engine = tracker.gateway.engine
        healthy = await open_socket(url)
        # A client whose library stops reading once 2 frames wait: the socket fills up.
        stalled = await open_socket(url, max_queue=2, max_size=None)
        subscribe = orjson.dumps(["subscribe", {"symbols": SYMBOLS}]).decode()
        await healthy.send("42" + subscribe)
        await stalled.send("42" + subscribe)
        await wait_for(lambda: len(tracker.gateway.subs.groups) == 1, 5, "subscriptions")
        stalled_session = list(engine.sessions.values())[1]
        before = SLOW_CLIENT_DISCONNECTS._value.get()
        received = 0
        peak = 0
        async with market(tracker, SYMBOLS, 0.02):
            deadline = time.monotonic() + 15
            while SLOW_CLIENT_DISCONNECTS._value.get() == before:
                assert time.monotonic() < deadline, "the stalled client was never dropped"
                async with asyncio.timeout(2):
                    frame = await healthy.recv()
                received += bool(event_of(frame))
                for session in list(engine.sessions.values()):
                    peak = max(peak, session.backlog() or 0)
        # What waits for a stalled client is bounded: the backlog limit or four of its frames
        # (these are under 64 KiB: 200 symbols), plus the frame that crossed it.
        frame_max = 64 * 1024
        assert peak <= max(engine.config.max_backlog, 4 * frame_max) + frame_max, peak
        assert received > 20
        assert stalled_session.closed
        await wait_for(lambda: tracker.gateway.connections == 1, 5, "stalled client gone")
        await healthy.close()
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            await asyncio.wait_for(stalled.close(), 3)


async def test_client_closing_mid_frame_is_cleaned_up() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (tracker, url):
        port = int(url.rsplit(":", 1)[1])
        for _ in range(5):
            _, writer = await raw_upgrade(port)
            half = client_frame(b"40")[:3]  # header and part of the mask
            writer.write(half)
            await writer.drain()
            writer.close()
        await wait_for(lambda: not tracker.gateway.engine.sessions, 5, "sessions closed")
        ws = await open_socket(url)  # the server is fine
        await ws.send('421["ping",{}]')
        async with asyncio.timeout(5):
            while not str(await ws.recv()).startswith("431"):
                pass
        await ws.close()


async def test_oversized_subscribe_is_answered_payload_too_large_then_closed() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (tracker, url):
        ws = await open_socket(url)
        symbols = [f"S{i}USDT" for i in range(20_000)]
        await ws.send('42["subscribe",' + orjson.dumps({"symbols": symbols}).decode() + "]")
        errors = []
        with contextlib.suppress(ConnectionClosed):
            async with asyncio.timeout(10):
                while True:
                    got = event_of(await ws.recv())
                    if got and got[0] == "error":
                        errors.append(got[1]["data"]["code"])
        assert errors == ["payload_too_large"]
        assert ws.close_code == 1009
        await wait_for(lambda: tracker.gateway.connections == 0, 5, "session closed")


async def test_kernel_send_buffer_per_connection_is_bounded() -> None:
    """A stalled client pins at most SO_SNDBUF of kernel memory (Linux doubles the value set),
    not the megabytes autotuning would grow to."""
    async with serve(exchange=QuietExchange(SYMBOLS)) as (tracker, url):
        ws = await open_socket(url)
        [session] = tracker.gateway.engine.sessions.values()
        assert session.ws is not None
        sock = session.ws.transport.get_extra_info("socket")
        limit = tracker.gateway.engine.config.send_buffer
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) <= 2 * limit
        await ws.close()
