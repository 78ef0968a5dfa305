"""The simulator over a real socket: Binance's stream and REST behaviour, its limits, and the
faults tests ask for."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.server import SimConfig, Simulator
from tests.support import wait_for


@contextlib.asynccontextmanager
async def sim_with(**knobs: Any) -> AsyncIterator[Simulator]:
    config = SimConfig(**{"symbols": 20, "rate": 300.0, "seed": 5, **knobs})
    async with Simulator(config).running() as sim:
        yield sim


async def until(ws: ClientConnection, match: Any, timeout: float = 5.0) -> Any:
    """The first frame for which `match(frame)` holds, within `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while True:
            frame = orjson.loads(await ws.recv(decode=False))
            if match(frame):
                return frame


async def test_combined_stream_wraps_events_and_e_is_the_send_time(simulator: Simulator) -> None:
    url = f"{simulator.ws_url}/stream?streams=btcusdt@aggTrade"
    async with connect(url) as ws:
        frame = await until(ws, lambda f: f.get("stream") == "btcusdt@aggTrade")
        assert frame["data"]["s"] == "BTCUSDT"
        assert abs(frame["data"]["E"] - time.time() * 1000) < 1000


async def test_raw_stream_sends_bare_events(simulator: Simulator) -> None:
    async with connect(f"{simulator.ws_url}/ws/btcusdt@aggTrade") as ws:
        frame = await until(ws, lambda f: True)
        assert frame["e"] == "aggTrade" and "stream" not in frame


async def test_live_subscribe_list_and_unsubscribe(simulator: Simulator) -> None:
    async with connect(f"{simulator.ws_url}/stream?streams=!miniTicker@arr") as ws:
        await ws.send('{"method": "SUBSCRIBE", "params": ["ethusdt@kline_1m"], "id": 1}')
        assert await until(ws, lambda f: f.get("id") == 1) == {"result": None, "id": 1}
        await ws.send('{"method": "LIST_SUBSCRIPTIONS", "id": 2}')
        listed = await until(ws, lambda f: f.get("id") == 2)
        assert listed["result"] == ["!miniTicker@arr", "ethusdt@kline_1m"]
        kline = await until(ws, lambda f: f.get("stream") == "ethusdt@kline_1m")
        assert kline["data"]["k"]["i"] == "1m"
        tickers = await until(ws, lambda f: f.get("stream") == "!miniTicker@arr")
        assert 0 < len(tickers["data"]) <= len(simulator.symbols)
        await ws.send('{"method": "UNSUBSCRIBE", "params": ["ethusdt@kline_1m"], "id": 3}')
        await until(ws, lambda f: f.get("id") == 3)
        assert list(simulator.subscriptions().values()) == [["!miniTicker@arr"]]


async def test_a_bad_request_gets_an_error_and_the_connection_lives() -> None:
    async with sim_with() as sim, connect(f"{sim.ws_url}/ws") as ws:
        await ws.send("{not json")
        error = await until(ws, lambda f: "code" in f)
        assert (error["code"], error["id"]) == (3, None)
        assert error["msg"].startswith("Invalid JSON")
        await ws.send('{"method": "LIST_SUBSCRIPTIONS", "id": 9}')
        assert (await until(ws, lambda f: f.get("id") == 9))["result"] == []


async def test_more_than_the_stream_limit_is_refused() -> None:
    async with sim_with(max_streams=2) as sim, connect(f"{sim.ws_url}/ws") as ws:
        params = ["btcusdt@aggTrade", "ethusdt@aggTrade", "bnbusdt@aggTrade"]
        await ws.send(orjson.dumps({"method": "SUBSCRIBE", "params": params, "id": 1}).decode())
        reply = await until(ws, lambda f: f.get("id") == 1)
        assert (reply["code"], reply["msg"]) == (2, "Invalid request: more than 2 streams")
        assert list(sim.subscriptions().values()) == [[]]


async def test_more_than_five_messages_a_second_disconnects() -> None:
    async with sim_with() as sim, connect(f"{sim.ws_url}/ws") as ws:
        for i in range(6):
            await ws.send(orjson.dumps({"method": "LIST_SUBSCRIPTIONS", "id": i}).decode())
        with pytest.raises(ConnectionClosed) as info:
            await until(ws, lambda f: False)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1008


async def test_connections_are_cut_at_their_maximum_age() -> None:
    async with sim_with(max_connection_age_s=0.3) as sim, connect(f"{sim.ws_url}/ws") as ws:
        with pytest.raises(ConnectionClosed) as info:
            await until(ws, lambda f: False)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1000


async def test_rejected_handshakes_carry_the_status_then_recover(simulator: Simulator) -> None:
    simulator.faults.http["ws"] = HttpFault(451, remaining=1)
    with pytest.raises(InvalidStatus) as info:
        await connect(f"{simulator.ws_url}/ws")
    assert info.value.response.status_code == 451
    async with connect(f"{simulator.ws_url}/ws"):
        pass


async def test_rest_and_coingecko_answer_with_their_limits() -> None:
    async with (
        sim_with(rest_weight_per_min=45, coingecko_calls_per_min=2) as sim,
        httpx.AsyncClient(base_url=sim.rest_url) as http,
    ):
        assert (await http.get("/api/v3/exchangeInfo")).status_code == 200  # weight 20
        assert (await http.get("/api/v3/exchangeInfo")).status_code == 200  # weight 40
        limited = await http.get("/api/v3/exchangeInfo")
        assert limited.status_code == 429
        assert limited.json()["code"] == -1003
        assert int(limited.headers["Retry-After"]) > 0
        markets = "/coingecko/api/v3/coins/markets?vs_currency=usd&ids=bitcoin"
        first = await http.get(markets)
        assert first.json()[0]["id"] == "bitcoin"
        assert (await http.get(markets)).status_code == 200
        assert (await http.get(markets)).status_code == 429


async def test_faults_can_be_driven_over_http(simulator: Simulator) -> None:
    async with httpx.AsyncClient(base_url=simulator.rest_url) as http:
        set_fault = await http.get("/sim/fault?kind=rest_status&status=429&count=1&retry_after=2")
        assert set_fault.status_code == 200
        refused = await http.get("/api/v3/ticker/24hr")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
        assert (await http.get("/api/v3/ticker/24hr")).status_code == 200
        assert (await http.get("/sim/fault?kind=nonsense")).status_code == 400
        async with connect(f"{simulator.ws_url}/stream?streams=btcusdt@aggTrade") as ws:
            await until(ws, lambda f: "stream" in f)
            await http.get("/sim/fault?kind=drop")
            with pytest.raises(ConnectionClosed):
                await until(ws, lambda f: False)
        state = (await http.get("/sim/state")).json()
        assert state["trades"] > 0 and state["symbols"] == len(simulator.symbols)


async def test_silence_stops_frames_and_garbage_is_sent_on_demand(simulator: Simulator) -> None:
    async with connect(f"{simulator.ws_url}/stream?streams=btcusdt@aggTrade") as ws:
        await until(ws, lambda f: "stream" in f)
        simulator.silence(5.0)
        silenced_at = time.time() * 1000
        simulator.garbage(1)
        async with asyncio.timeout(5):
            while True:  # frames made before the silence, then the garbage, nothing else
                raw = await ws.recv(decode=False)
                try:
                    frame = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    break
                assert frame["data"]["E"] <= silenced_at + 1


async def test_requests_can_be_rejected_ignored_and_streams_forgotten(
    simulator: Simulator,
) -> None:
    async with (
        httpx.AsyncClient(base_url=simulator.rest_url) as http,
        connect(f"{simulator.ws_url}/ws/btcusdt@aggTrade") as ws,
    ):
        assert (await http.get("/sim/fault?kind=reject&method=SUBSCRIBE&count=1")).is_success
        await ws.send('{"method": "SUBSCRIBE", "params": ["ethusdt@aggTrade"], "id": 1}')
        rejected = await until(ws, lambda f: f.get("id") == 1)
        assert rejected["code"] == 2 and "result" not in rejected
        assert (await http.get("/sim/fault?kind=ignore&method=SUBSCRIBE&count=1")).is_success
        await ws.send('{"method": "SUBSCRIBE", "params": ["ethusdt@aggTrade"], "id": 2}')
        await ws.send('{"method": "SUBSCRIBE", "params": ["ethusdt@aggTrade"], "id": 3}')
        # The ignored request gets no reply: the next one's is the first with an id.
        assert await until(ws, lambda f: "id" in f) == {"result": None, "id": 3}
        assert (await http.get("/sim/fault?kind=forget&stream=btcusdt@aggTrade")).is_success
        await ws.send('{"method": "LIST_SUBSCRIPTIONS", "id": 4}')
        listing = await until(ws, lambda f: f.get("id") == 4)
        assert listing == {"result": ["ethusdt@aggTrade"], "id": 4}
        assert simulator.requests == {"SUBSCRIBE": 3, "LIST_SUBSCRIPTIONS": 1}


async def test_markets_can_be_halted_delisted_and_listed_again(simulator: Simulator) -> None:
    async with httpx.AsyncClient(base_url=simulator.rest_url) as http:

        async def statuses() -> dict[str, str]:
            body = (await http.get("/api/v3/exchangeInfo")).json()
            return {row["symbol"]: row["status"] for row in body["symbols"]}

        assert set((await statuses()).values()) == {"TRADING"}
        assert (await http.get("/sim/fault?kind=status&symbol=BTCUSDT&status=HALT")).is_success
        assert (await http.get("/sim/fault?kind=delist&symbol=ETHUSDT")).is_success
        listed = await statuses()
        assert listed["BTCUSDT"] == "HALT" and "ETHUSDT" not in listed
        tickers = (await http.get("/api/v3/ticker/24hr")).json()
        assert "ETHUSDT" not in {t["symbol"] for t in tickers}
        halted_trades = simulator.market.markets["BTCUSDT"].trade_count
        others = simulator.market.total_trades
        await wait_for(lambda: simulator.market.total_trades > others + 200, 5, "trading on")
        assert simulator.market.markets["BTCUSDT"].trade_count == halted_trades
        assert (await http.get("/sim/fault?kind=status&symbol=ETHUSDT&status=TRADING")).is_success
        assert (await statuses())["ETHUSDT"] == "TRADING"
        assert (await http.get("/sim/fault?kind=status&symbol=NOPE&status=HALT")).status_code == 400
        assert (
            await http.get("/sim/fault?kind=status&symbol=BTCUSDT&status=ON")
        ).status_code == 400


async def test_the_exchange_clock_can_be_skewed(simulator: Simulator) -> None:
    async with httpx.AsyncClient(base_url=simulator.rest_url) as http:
        assert (await http.get("/sim/fault?kind=skew&ms=90000")).is_success
        server_ms = (await http.get("/api/v3/time")).json()["serverTime"]
    assert abs(server_ms - (time.time() * 1000 + 90_000)) < 1_000
