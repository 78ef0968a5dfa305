"""The Coinbase Exchange simulator over a real socket: Coinbase's subscribe protocol and
messages (parsed by the provider's own parser), its REST bodies, its limits and its faults."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from cryptotracker.market.coinbase_frames import (
    ErrorMessage,
    Event,
    Heartbeat,
    Match,
    Subscriptions,
    Ticker,
    parse_frame,
    request,
)
from cryptotracker.market.coinbase_normalize import parse_candle_rows
from cryptotracker.simulator.faults import HttpFault
from tests.simulator.coinbase_sim import coinbase_sim
from tests.support import wait_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "coinbase"


def documented(name: str) -> Any:
    return orjson.loads((FIXTURES / name).read_bytes())


async def events(ws: ClientConnection, count: int, timeout: float = 5.0) -> list[Event]:
    out = []
    async with asyncio.timeout(timeout):
        while len(out) < count:
            out.append(parse_frame(await ws.recv(decode=False)))
    return out


async def test_subscribe_is_answered_and_the_feed_speaks_coinbase() -> None:
    async with coinbase_sim() as sim, connect(sim.ws_url) as ws:
        await ws.send(request("subscribe", {"ticker": {"BTC-USDT"}, "matches": {"BTC-USDT"},
                                            "heartbeat": {"BTC-USDT"}}))  # fmt: skip
        seen = await events(ws, 60)
        assert seen[0] == Subscriptions(
            {name: frozenset({"BTC-USDT"}) for name in ("heartbeat", "matches", "ticker")}
        )
        matches = [e for e in seen if isinstance(e, Match) and not e.last]
        tickers = [e for e in seen if isinstance(e, Ticker)]
        beats = [e for e in seen if isinstance(e, Heartbeat)]
        assert matches and tickers and beats
        assert {e.product_id for e in matches + tickers + beats} == {"BTC-USDT"}  # type: ignore[operator]
        # A ticker carries the sequence and trade id of the match behind it.
        by_seq = {m.sequence: m for m in matches}
        for t in tickers:
            if t.sequence in by_seq:
                assert (t.price, t.trade_id) == (by_seq[t.sequence].price,
                                                 by_seq[t.sequence].trade_id)  # fmt: skip
        ids = [m.trade_id for m in matches]
        assert ids == list(range(ids[0], ids[0] + len(ids)))  # consecutive trade ids
        seqs = [m.sequence for m in matches]
        assert seqs == sorted(seqs)


async def test_a_client_that_does_not_subscribe_is_disconnected() -> None:
    async with coinbase_sim(subscribe_within_s=0.2) as sim, connect(sim.ws_url) as ws:
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(3):
                await ws.recv()


async def test_unknown_products_are_refused_with_an_error_message() -> None:
    async with coinbase_sim() as sim, connect(sim.ws_url) as ws:
        await ws.send(request("subscribe", {"ticker": {"NOPE-USD"}}))
        (event,) = await events(ws, 1)
        assert isinstance(event, ErrorMessage) and "NOPE-USD" in event.reason


async def test_matches_subscription_starts_with_the_last_match() -> None:
    async with coinbase_sim() as sim:
        await wait_for(lambda: sim.products["BTC-USDT"].last is not None, 5, "a BTC trade")
        async with connect(sim.ws_url) as ws:
            await ws.send(request("subscribe", {"heartbeat": {"BTC-USDT"}}))
            await events(ws, 1)
            sim.rate = 0.0
            await ws.send(request("subscribe", {"matches": {"BTC-USDT"}}))
            seen = await events(ws, 6)
            lasts = [e for e in seen if isinstance(e, Match) and e.last]
            assert len(lasts) == 1 and lasts[0].product_id == "BTC-USDT"


async def test_gap_fault_loses_trades_and_delivers_one_late() -> None:
    async with coinbase_sim() as sim, connect(sim.ws_url) as ws:
        await ws.send(request("subscribe", {"matches": {"BTC-USDT"}}))
        seen: list[Match] = []
        async with asyncio.timeout(5):
            while len(seen) < 8:
                e = parse_frame(await ws.recv(decode=False))
                if isinstance(e, Match) and not e.last:
                    if not seen:
                        sim.gap("BTC-USDT", 3)
                    seen.append(e)
        ids = [m.trade_id for m in seen]
        back = [i for i in range(1, len(ids)) if ids[i] < ids[i - 1]]
        assert len(back) == 1  # exactly one message out of order: the late one
        late, newer = seen[back[0]], seen[back[0] - 1]
        assert late.trade_id == newer.trade_id - 3 and late.sequence < newer.sequence
        assert late.time_ms == newer.time_ms  # one cascade, one millisecond
        assert set(ids) == set(range(ids[0], max(ids) + 1)) - {late.trade_id + 1, late.trade_id + 2}


async def test_rest_bodies_have_coinbase_shapes() -> None:
    async with coinbase_sim() as sim, httpx.AsyncClient(base_url=sim.rest_url) as http:
        products = (await http.get("/products")).json()
        assert {p["id"] for p in products} == set(sim.product_ids)
        btc = next(p for p in products if p["id"] == "BTC-USDT")
        assert (btc["base_currency"], btc["quote_currency"], btc["status"]) == (
            "BTC", "USDT", "online"
        )  # fmt: skip
        # Every field of the documented examples (tests/fixtures/coinbase/), but the RFQ and
        # conversion volumes, which the schema marks optional.
        optional = {"rfq_volume", "conversions_volume", "rfq_volume_24hour", "rfq_volume_30day",
                    "conversions_volume_24hour", "conversions_volume_30day"}  # fmt: skip
        assert set(btc) >= set(documented("rest_products.json")[0])
        stats = (await http.get("/products/BTC-USDT/stats")).json()
        assert set(stats) >= set(documented("rest_stats.json")) - optional
        ticker = (await http.get("/products/BTC-USDT/ticker")).json()
        assert set(ticker) >= set(documented("rest_ticker.json")) - optional
        assert type(ticker["trade_id"]) is int
        book = (await http.get("/products/BTC-USDT/book", params={"level": 1})).json()
        assert set(book) >= set(documented("rest_book_level1.json"))
        assert len(book["bids"]) == 1 and book["bids"][0][0] < book["asks"][0][0]
        # Levels as documented: [price, size, num-orders], decimals as strings.
        assert [type(v) for v in book["bids"][0]] == [str, str, int]
        params: dict[str, Any] = {"granularity": 3600}
        body = (await http.get("/products/PEPE-USDT/candles", params=params)).content
        raw_rows = orjson.loads(body)
        assert len(raw_rows) == 300 and raw_rows[0][0] > raw_rows[-1][0]  # newest first
        assert all(type(cell) in (int, float) for cell in raw_rows[0])  # numbers, not strings
        assert parse_candle_rows(body)[0][0] == raw_rows[-1][0]
        bad = await http.get("/products/BTC-USDT/candles", params={"granularity": 14400})
        assert bad.status_code == 400
        assert (await http.get("/products/NOPE-USD/stats")).status_code == 404


async def test_rest_answers_429_beyond_its_rate_and_faults_on_demand() -> None:
    async with coinbase_sim(rest_per_s=3) as sim, httpx.AsyncClient(base_url=sim.rest_url) as http:
        codes = [(await http.get("/products/BTC-USDT/stats")).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        sim.faults.http["rest"] = HttpFault(451, remaining=1)
        assert (await http.get("/products")).status_code == 451
        reply = await http.get("/sim/fault", params={"kind": "ws_status", "status": "429",
                                                      "retry_after": "2"})  # fmt: skip
        assert reply.status_code == 200
        with pytest.raises(InvalidStatus) as refused:
            async with connect(sim.ws_url):
                pass
        assert refused.value.response.status_code == 429
        assert refused.value.response.headers["Retry-After"] == "2"


async def quiet_for(ws: ClientConnection, seconds: float, within: float) -> bool:
    """Whether the connection sent nothing for `seconds` at some point within `within`."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with asyncio.timeout(seconds):
                await ws.recv()
        except TimeoutError:
            return True
    return False


async def test_silence_stops_every_message_but_the_connection_stays() -> None:
    async with coinbase_sim() as sim, connect(sim.ws_url) as ws:
        await ws.send(request("subscribe", {"heartbeat": {"BTC-USDT"}}))
        await events(ws, 2)
        assert not await quiet_for(ws, 0.3, 0.5)  # heartbeats every 0.1 s
        sim.silence(1.0)
        assert await quiet_for(ws, 0.3, 0.5)
        await events(ws, 1)  # back after the silence
