"""The Kraken simulator over a real socket: Kraken's v2 messages and REST envelope, in Kraken's
names for the simulated markets, and the faults tests ask for."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from cryptotracker.market import kraken_frames as kf
from cryptotracker.simulator.kraken import KrakenSimConfig, KrakenSimulator
from tests.support import wait_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kraken"


def documented(name: str) -> Any:
    return orjson.loads((FIXTURES / name).read_bytes())


@contextlib.asynccontextmanager
async def kraken_sim(**knobs: Any) -> AsyncIterator[KrakenSimulator]:
    config = KrakenSimConfig(**{"symbols": 20, "rate": 300.0, "seed": 5, **knobs})
    async with KrakenSimulator(config).running() as sim:
        yield sim


@pytest.fixture
async def sim() -> AsyncIterator[KrakenSimulator]:
    async with kraken_sim(heartbeat_s=0.2) as s:
        yield s


async def until(ws: ClientConnection, match: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            frame = orjson.loads(await ws.recv(decode=False))
            if match(frame):
                return frame


def subscribe(channel: str, *symbols: str, req_id: int = 1, **extra: Any) -> str:
    params = {"channel": channel, "symbol": list(symbols), **extra}
    return orjson.dumps({"method": "subscribe", "params": params, "req_id": req_id}).decode()


async def test_asset_pairs_name_the_markets_as_kraken_does(sim: KrakenSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.rest_url) as http:
        body = (await http.get("/0/public/AssetPairs")).json()
    assert body["error"] == []
    pairs = body["result"]
    assert len(pairs) == len(sim.symbols)
    btc, doge, eth = pairs["XBTUSDT"], pairs["XDGUSDT"], pairs["ETHUSDT"]
    assert (btc["wsname"], btc["base"], btc["quote"], btc["status"]) == (
        "XBT/USDT", "XXBT", "USDT", "online"
    )  # fmt: skip
    assert (doge["wsname"], doge["base"]) == ("XDG/USDT", "XXDG")
    assert eth["base"] == "XETH"


async def test_rest_ticker_ohlc_depth_trades_and_errors(sim: KrakenSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.rest_url) as http:
        await wait_for(lambda: bool(sim.market.markets["BTCUSDT"].live), 5, "a BTC trade")
        ticker = (await http.get("/0/public/Ticker", params={"pair": "XBTUSDT"})).json()
        ohlc = (await http.get("/0/public/OHLC", params={"pair": "XBTUSDT", "interval": 5})).json()
        depth = (await http.get("/0/public/Depth", params={"pair": "BTC/USDT", "count": 1})).json()
        unknown = (await http.get("/0/public/OHLC", params={"pair": "NOPE"})).json()
        bad = (await http.get("/0/public/OHLC", params={"pair": "XBTUSDT", "interval": 7})).json()
    row = ticker["result"]["XBTUSDT"]
    assert set(row) == {"a", "b", "c", "v", "p", "t", "l", "h", "o"}
    assert Decimal(row["b"][0]) < Decimal(row["a"][0])
    rows = ohlc["result"]["XBTUSDT"]
    assert len(rows) == 720 and rows[1][0] - rows[0][0] == 300
    assert set(depth["result"]["XBTUSDT"]) == {"asks", "bids"}
    assert unknown == {"error": ["EQuery:Unknown asset pair"]}
    assert bad == {"error": ["EGeneral:Invalid arguments"]}


async def test_status_on_connect_then_subscriptions_are_acknowledged_per_symbol(
    sim: KrakenSimulator,
) -> None:
    async with connect(sim.ws_url) as ws:
        status = kf.parse_frame(await ws.recv())
        assert isinstance(status, kf.Status) and status.system == "online"
        await ws.send(subscribe("ticker", "BTC/USDT", "ETH/USDT", "XBT/USDT", req_id=9))
        replies = [kf.parse_frame(await ws.recv()) for _ in range(5)]
        acks = [r for r in replies if isinstance(r, kf.MethodReply)]
        assert {(a.symbol, a.success, a.req_id) for a in acks} == {
            ("BTC/USDT", True, 9), ("ETH/USDT", True, 9), ("XBT/USDT", False, 9)
        }  # fmt: skip
        snapshots = [r for r in replies if isinstance(r, kf.Tickers)]
        assert {t.rows[0].symbol for t in snapshots} == {"BTC/USDT", "ETH/USDT"}
        assert all(t.kind == "snapshot" for t in snapshots)
        update = await until(ws, lambda f: f.get("channel") == "ticker" and f["type"] == "update")
        assert update["data"][0]["symbol"] in ("BTC/USDT", "ETH/USDT")


async def test_numbers_are_json_numbers_with_every_digit() -> None:
    async with kraken_sim(symbols=20, rate=0.0) as sim, connect(sim.ws_url) as ws:
        await ws.send(subscribe("ticker", "PEPE/USDT"))
        raw = await until(ws, lambda f: f.get("channel") == "ticker")
        # The raw text: a JSON number, not a string, exactly the simulator's price.
        last = raw["data"][0]["last"]
        assert isinstance(last, float)
        m = sim.market.markets["PEPEUSDT"]
        expected = Decimal(m.price) / 100_000_000
        event = kf.parse_frame(orjson.dumps(raw))
        assert isinstance(event, kf.Tickers)
        assert Decimal(event.rows[0].last) == expected


async def test_trades_ohlc_ping_and_heartbeats(sim: KrakenSimulator) -> None:
    async with connect(sim.ws_url) as ws:
        await ws.send(subscribe("trade", "BTC/USDT", req_id=1))
        trade = await until(ws, lambda f: f.get("channel") == "trade" and f["type"] == "update")
        parsed = kf.parse_frame(orjson.dumps(trade))
        assert isinstance(parsed, kf.Trades) and parsed.rows[0].symbol == "BTC/USDT"
        await ws.send(subscribe("ohlc", "BTC/USDT", req_id=2, interval=5))
        candle = await until(ws, lambda f: f.get("channel") == "ohlc")
        assert candle["data"][0]["interval"] == 5
        await ws.send('{"method": "ping", "req_id": 42}')
        pong = await until(ws, lambda f: f.get("method") == "pong")
        assert pong["req_id"] == 42
        sim.rate = 0.0
        await until(ws, lambda f: f.get("channel") == "heartbeat")


async def test_silence_stops_every_frame_even_pongs(sim: KrakenSimulator) -> None:
    async with connect(sim.ws_url) as ws:
        await ws.send(subscribe("trade", "BTC/USDT"))
        await until(ws, lambda f: f.get("channel") == "trade")
        sim.silence(0.6)
        await ws.send('{"method": "ping", "req_id": 1}')
        with pytest.raises(TimeoutError):
            await until(ws, lambda f: True, timeout=0.4)


async def test_maintenance_is_announced_and_rest_is_unavailable(sim: KrakenSimulator) -> None:
    async with connect(sim.ws_url) as ws, httpx.AsyncClient(base_url=sim.rest_url) as http:
        await until(ws, lambda f: f.get("channel") == "status")
        fault = await http.get("/sim/fault", params={"kind": "maintenance", "on": "1"})
        assert fault.status_code == 200
        status = await until(ws, lambda f: f.get("channel") == "status")
        assert status["data"][0]["system"] == "maintenance"
        body = (await http.get("/0/public/Ticker")).json()
        assert body == {"error": ["EService:Unavailable"]}
        system = (await http.get("/0/public/SystemStatus")).json()
        assert system["result"]["status"] == "maintenance"
        await http.get("/sim/fault", params={"kind": "maintenance", "on": "0"})
        status = await until(ws, lambda f: f.get("channel") == "status")
        assert status["data"][0]["system"] == "online"


async def test_handshake_refusals_and_rest_error_envelopes(sim: KrakenSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.rest_url) as http:
        await http.get(
            "/sim/fault", params={"kind": "ws_status", "status": 429, "retry_after": 3, "count": 1}
        )
        with pytest.raises(InvalidStatus) as refused:
            await connect(sim.ws_url)
        assert refused.value.response.status_code == 429
        assert refused.value.response.headers["Retry-After"] == "3"
        await http.get("/sim/fault", params={"kind": "ws_status", "status": 451, "count": 1})
        with pytest.raises(InvalidStatus) as restricted:
            await connect(sim.ws_url)
        assert restricted.value.response.status_code == 451
        async with connect(sim.ws_url):
            pass  # the faults were counted down
        await http.get(
            "/sim/fault", params={"kind": "rest_error", "error": "EGeneral:Too many requests"}
        )
        assert (await http.get("/0/public/AssetPairs")).json() == {
            "error": ["EGeneral:Too many requests"]
        }
        assert (await http.get("/0/public/AssetPairs")).json()["error"] == []


async def test_rest_rate_limit_answers_too_many_requests() -> None:
    async with (
        kraken_sim(rest_calls_per_window=2, rest_window_s=60.0) as sim,
        httpx.AsyncClient(base_url=sim.rest_url) as http,
    ):
        answers = [(await http.get("/0/public/Time")).json()["error"] for _ in range(3)]
    assert answers == [[], [], ["EGeneral:Too many requests"]]


async def test_garbage_and_drop(sim: KrakenSimulator) -> None:
    async with connect(sim.ws_url) as ws:
        await until(ws, lambda f: f.get("channel") == "status")
        sim.garbage(2)
        bad = [await ws.recv(decode=False) for _ in range(2)]
        for frame in bad:
            with pytest.raises(kf.InvalidFrameError):
                kf.parse_frame(frame)
        sim.drop()
        with pytest.raises(ConnectionClosed):
            await until(ws, lambda f: False)


async def test_trade_ids_run_per_market_and_gap_skips_them(sim: KrakenSimulator) -> None:
    ids: list[int] = []
    async with connect(sim.ws_url) as ws:
        await ws.send(subscribe("trade", "BTC/USDT"))

        def collect(frame: Any) -> bool:
            if frame.get("channel") == "trade":
                ids.extend(row["trade_id"] for row in frame["data"])
            return len(ids) >= 3

        await until(ws, collect)
        assert ids == list(range(ids[0], ids[0] + len(ids)))  # one sequence per book
        sim.gap(5, "BTCUSDT")
        before = ids[-1]
        await until(ws, lambda f: collect(f) and ids[-1] > before)
        jumps = [b - a for a, b in itertools.pairwise(ids) if b - a != 1]
        assert jumps == [6]


async def test_rest_envelopes_match_the_documented_ones(sim: KrakenSimulator) -> None:
    async with httpx.AsyncClient(base_url=sim.rest_url) as http:
        sim.rest_errors.extend(["EGeneral:Too many requests", "EService:Unavailable"])
        limited = (await http.get("/0/public/Ticker")).json()
        unavailable = (await http.get("/0/public/Ticker")).json()
        status = (await http.get("/0/public/SystemStatus")).json()
    assert limited == documented("rest_error_too_many_requests.json")
    assert unavailable == documented("rest_error_unavailable.json")
    assert set(status["result"]) == set(documented("rest_system_status.json")["result"])
    assert status["result"]["status"] == "online"
