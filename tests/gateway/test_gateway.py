"""The Socket.IO gateway against real python-socketio clients over real sockets."""

from __future__ import annotations

import asyncio
import itertools
import time

import orjson
import pytest
import websockets

from cryptotracker.protocol import Ack, Envelope, PriceDict
from tests.harness import QuietExchange, Recorder, serve
from tests.support import wait_for

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "PEPEUSDT"]


def price(symbol: str, value: str, t: int | None = None) -> PriceDict:
    return {
        "symbol": symbol, "price": value, "priceChangePercent": "1.25", "high24h": value,
        "low24h": value, "volume24h": "98765432101.12345678",
        "lastUpdateTime": t if t is not None else int(time.time() * 1000), "source": "simulator",
    }  # fmt: skip


async def test_subscribe_acks_and_sends_snapshot_before_next_batch() -> None:
    exchange = QuietExchange(SYMBOLS)
    async with serve(exchange=exchange, batch_interval_ms=5000) as (tracker, url):
        tracker.store.apply([price("BTCUSDT", "95000.01000000"), price("PEPEUSDT", "0.00001234")])
        client = Recorder()
        await client.connect(url)
        ack = await client.call(
            "subscribe", {"symbols": ["BTCUSDT", "PEPEUSDT"], "requestId": "r1"}
        )
        assert Ack.model_validate(ack).ok
        assert ack["added"] == ["BTCUSDT", "PEPEUSDT"] and ack["symbolCount"] == 2
        assert ack["requestId"] == "r1"
        [snapshot] = await client.wait("batch_update", timeout=2)
        Envelope.model_validate(snapshot)
        assert snapshot["data"]["snapshot"] is True
        prices = {u["symbol"]: u["price"] for u in snapshot["data"]["updates"]}
        # decimal strings arrive digit for digit
        assert prices == {"BTCUSDT": "95000.01000000", "PEPEUSDT": "0.00001234"}
        assert snapshot["data"]["updates"][0]["volume24h"] == "98765432101.12345678"
        await client.close()


async def test_batch_holds_only_subscribed_symbols_that_changed() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS), batch_interval_ms=50) as (tracker, url):
        client = Recorder()
        await client.connect(url)
        await client.call("subscribe", {"symbols": ["BTCUSDT", "ETHUSDT"]})
        tracker.aggregator.on_price(price("BTCUSDT", "1.0"))
        tracker.aggregator.on_price(price("SOLUSDT", "2.0"))  # not subscribed
        [batch] = await client.wait("batch_update")
        assert [u["symbol"] for u in batch["data"]["updates"]] == ["BTCUSDT"]
        # same values again (only the time moved): not a change, nothing sent
        tracker.aggregator.on_price(price("BTCUSDT", "1.0"))
        tracker.aggregator.on_price(price("ETHUSDT", "3.0"))
        batches = await client.wait("batch_update", count=2)
        assert [u["symbol"] for u in batches[1]["data"]["updates"]] == ["ETHUSDT"]
        await client.close()


async def test_client_gets_at_most_one_batch_per_interval() -> None:
    interval_ms = 100
    async with serve(exchange=QuietExchange(SYMBOLS), batch_interval_ms=interval_ms) as (
        tracker,
        url,
    ):
        client = Recorder()
        await client.connect(url)
        await client.call("subscribe", {"symbols": SYMBOLS})
        stop = time.monotonic() + 1.5
        n = 0
        while time.monotonic() < stop:  # a fast feed: many updates per interval
            n += 1
            for s in SYMBOLS:
                tracker.aggregator.on_price(price(s, f"{n}.0"))
            await asyncio.sleep(0.005)
        await client.wait("batch_update", count=5)
        received = [ts for name, ts in ((e, d) for e, d in client.events) if name == "batch_update"]
        stamps = sorted(d["data"]["timestamp"] for d in received if not d["data"]["snapshot"])
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        # batches are built on a fixed schedule: never two inside one interval
        assert min(gaps) >= interval_ms * 0.5, gaps
        assert len(stamps) <= 1.5 / (interval_ms / 1000) + 2
        await client.close()


async def test_unsubscribe_stops_updates_and_demand_follows_union() -> None:
    exchange = QuietExchange(SYMBOLS)
    async with serve(exchange=exchange, batch_interval_ms=50) as (tracker, url):
        a, b = Recorder(), Recorder()
        await a.connect(url)
        await b.connect(url)
        await a.call(
            "subscribe",
            {"symbols": ["BTCUSDT"], "candles": [{"symbol": "BTCUSDT", "interval": "1m"}]},
        )
        await b.call("subscribe", {"symbols": ["ETHUSDT", "BTCUSDT"]})
        await wait_for(lambda: exchange.demand[0] == {"BTCUSDT", "ETHUSDT"}, 5, "demand union")
        assert exchange.demand[1] == {("BTCUSDT", "1m")}
        ack = await b.call("unsubscribe", {"symbols": ["ETHUSDT", "SOLUSDT"]})
        assert ack["removed"] == ["ETHUSDT"] and ack["symbolCount"] == 1  # SOL was not held
        await wait_for(lambda: exchange.demand[0] == {"BTCUSDT"}, 5, "demand shrinks")
        await a.close()
        await wait_for(lambda: exchange.demand[1] == frozenset(), 5, "candle demand gone")
        tracker.aggregator.on_price(price("ETHUSDT", "5.0"))
        tracker.aggregator.on_price(price("BTCUSDT", "6.0"))
        [batch] = await b.wait("batch_update")
        assert [u["symbol"] for u in batch["data"]["updates"]] == ["BTCUSDT"]
        await b.close()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("not an object", "invalid_payload"),
        ({"symbols": "BTCUSDT"}, "invalid_payload"),
        ({"symbols": ["btc-usdt!"]}, "invalid_payload"),
        ({"symbols": ["NOPEUSDT"]}, "unknown_symbol"),
        ({"symbols": [f"S{i}USDT" for i in range(1001)]}, "invalid_payload"),
        ({"candles": [{"symbol": "BTCUSDT", "interval": "7m"}]}, "invalid_payload"),
    ],
)
async def test_bad_subscribe_gets_error_event_and_connection_lives(
    payload: object, code: str
) -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (_, url):
        client = Recorder()
        await client.connect(url)
        await client.call("subscribe", payload)
        [error] = await client.wait("error")
        assert error["data"]["code"] == code
        assert error["data"]["message"]
        ack = await client.call("subscribe", {"symbols": ["BTCUSDT"]})
        assert ack["ok"] and ack["added"] == ["BTCUSDT"] and ack["symbolCount"] == 1
        await client.close()


async def test_too_many_symbols_is_refused_whole() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS), max_symbols_per_client=3) as (_, url):
        client = Recorder()
        await client.connect(url)
        ack = await client.call("subscribe", {"symbols": SYMBOLS})
        assert ack["ok"] is False
        assert ack["error"]["code"] == "too_many_symbols"
        assert ack["added"] == [] and ack["symbolCount"] == 0
        await client.close()


async def test_candle_streams_of_unknown_symbols_are_refused_by_name() -> None:
    exchange = QuietExchange(SYMBOLS)
    async with serve(exchange=exchange) as (_, url):
        client = Recorder()
        await client.connect(url)
        made_up = [{"symbol": f"FAKE{i}USDT", "interval": "1m"} for i in range(19)]
        wanted = [{"symbol": "ETHUSDT", "interval": "5m"}]
        ack = await client.call("subscribe", {"candles": made_up + wanted})
        assert ack["ok"] and ack["addedCandles"] == wanted and ack["candleCount"] == 1
        [error] = await client.wait("error")
        assert error["data"]["code"] == "unknown_symbol"
        assert len(error["data"]["details"]) == 19 and "FAKE0USDT" in error["data"]["details"]
        await wait_for(lambda: exchange.demand[1] == {("ETHUSDT", "5m")}, 5, "candle demand")
        await client.call("subscribe", {"symbols": [f"FAKE{i}USDT" for i in range(500)]})
        [_, error] = await client.wait("error", 2)
        assert len(error["data"]["details"]) == 20  # named, up to a bound
        assert "480 more" in error["data"]["message"]
        await client.close()


async def test_candle_streams_over_the_connection_limit_are_refused_whole() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS), max_candles_per_client=3) as (_, url):
        client = Recorder()
        await client.connect(url)
        first = [{"symbol": "BTCUSDT", "interval": i} for i in ("1m", "5m")]
        assert (await client.call("subscribe", {"candles": first}))["ok"]
        more = [{"symbol": "ETHUSDT", "interval": i} for i in ("1m", "5m")]
        ack = await client.call("subscribe", {"candles": more})
        assert ack["ok"] is False and ack["error"]["code"] == "too_many_symbols"
        assert "candle streams per connection" in ack["error"]["message"]
        assert ack["addedCandles"] == [] and ack["candleCount"] == 2  # what it still holds
        await client.call("unsubscribe", {"candles": first[:1]})
        assert (await client.call("subscribe", {"candles": more[:1]}))["ok"]
        await client.close()


async def test_acks_say_what_changed_whatever_the_connection_holds() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (_, url):
        client = Recorder()
        await client.connect(url)
        candle = {"symbol": "BTCUSDT", "interval": "1m"}
        await client.call("subscribe", {"symbols": SYMBOLS[:3], "candles": [candle]})
        ack = await client.call("subscribe", {"symbols": SYMBOLS[:4]})
        assert ack["added"] == [SYMBOLS[3]] and ack["addedCandles"] == []
        assert (ack["symbolCount"], ack["candleCount"]) == (4, 1)
        ack = await client.call("unsubscribe", {"all": True, "requestId": "reset"})
        assert sorted(ack["removed"]) == sorted(SYMBOLS[:4]) and ack["removedCandles"] == [candle]
        assert (ack["symbolCount"], ack["candleCount"]) == (0, 0) and ack["requestId"] == "reset"
        await client.close()


async def test_address_limit_counts_symbols_and_candle_streams() -> None:
    limits = {"max_symbols_per_ip": 3, "limit_exempt_ips": []}
    async with serve(exchange=QuietExchange(SYMBOLS), **limits) as (_, url):
        a, b = Recorder(), Recorder()
        await a.connect(url)
        await b.connect(url)
        candles = [{"symbol": "BTCUSDT", "interval": "1m"}]
        assert (await a.call("subscribe", {"symbols": ["BTCUSDT"], "candles": candles}))["ok"]
        ack = await b.call(
            "subscribe", {"candles": [{"symbol": "ETHUSDT", "interval": i} for i in ("1m", "1h")]}
        )
        assert ack["ok"] is False and "per address" in ack["error"]["message"]
        await a.call("unsubscribe", {"candles": candles})
        assert (await b.call("subscribe", {"candles": [{"symbol": "ETHUSDT", "interval": "1m"}]}))[
            "ok"
        ]
        await a.close()
        await b.close()


async def test_invalid_subscribe_never_echoes_the_clients_keys_at_length() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (_, url):
        client = Recorder()
        await client.connect(url)
        key = "K" * 8000
        ack = await client.call("subscribe", {key: 1, "symbols": [key[:3000]]})
        assert ack["error"]["code"] == "invalid_payload"
        [error] = await client.wait("error")
        assert len(orjson.dumps(error)) < 2048 and key[:300] not in orjson.dumps(error).decode()
        await client.close()


async def test_unknown_event_and_ping() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (_, url):
        client = Recorder()
        await client.connect(url)
        ack = await client.call("buy_everything", {"now": True})
        assert ack["error"]["code"] == "unknown_event"
        ack = await client.call("ping", {"requestId": "p"})
        assert ack["ok"] and ack["requestId"] == "p"
        [pong] = await client.wait("pong")
        assert pong["requestId"] == "p"
        await client.close()


async def test_undecodable_packet_gets_error_and_connection_lives() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (_, url):
        ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(ws_url) as ws:
            async with asyncio.timeout(10):
                assert str(await ws.recv()).startswith("0{")  # Engine.IO open
                await ws.send("40")
                assert str(await ws.recv()).startswith("40")  # Socket.IO connect
                await ws.send('42["subscribe",{"symbols":[')  # truncated JSON
                frame = str(await ws.recv())
                while not frame.startswith('42["error"'):
                    frame = str(await ws.recv())
                error = orjson.loads(frame[2:])[1]
                assert error["data"]["code"] == "invalid_payload"
                await ws.send('421["subscribe",{"symbols":["BTCUSDT"]}]')
                frame = str(await ws.recv())
                while not frame.startswith("431"):
                    frame = str(await ws.recv())
                assert orjson.loads(frame[3:])[0]["added"] == ["BTCUSDT"]


async def test_polling_transport_client_is_served() -> None:
    # python-socketio's polling client holds its disconnect until the pending long-poll ends
    # (one heartbeat): keep the heartbeat short so the test ends quickly.
    async with serve(
        exchange=QuietExchange(SYMBOLS), batch_interval_ms=50, heartbeat_s=1, heartbeat_timeout_s=1
    ) as (
        tracker,
        url,
    ):
        client = Recorder()
        await client.connect(url, transports=["polling"])
        await client.call("subscribe", {"symbols": ["SOLUSDT"]})
        tracker.aggregator.on_price(price("SOLUSDT", "150.5"))
        [batch] = await client.wait("batch_update")
        assert batch["data"]["updates"][0]["price"] == "150.5"
        await client.close()


async def test_connection_status_reaches_every_client_on_connect() -> None:
    async with serve(exchange=QuietExchange(SYMBOLS)) as (tracker, url):
        tracker.gateway.set_status(tracker.exchange.status())
        client = Recorder()
        await client.connect(url)
        [status] = await client.wait("connection_status")
        assert status["data"]["live"] is False
        assert status["data"]["source"] == "simulator"
        await client.close()


async def test_a_delisted_symbol_is_unsubscribed_and_its_subscribers_told() -> None:
    exchange = QuietExchange(SYMBOLS)
    async with serve(exchange=exchange, batch_interval_ms=50) as (tracker, url):
        tracker.store.apply([price("ETHUSDT", "3.0")])
        holder, other = Recorder(), Recorder()
        await holder.connect(url)
        await other.connect(url)
        await holder.call(
            "subscribe",
            {
                "symbols": ["BTCUSDT", "ETHUSDT"],
                "candles": [{"symbol": "ETHUSDT", "interval": "1m"}],
            },
        )
        await other.call("subscribe", {"symbols": ["BTCUSDT"]})
        await wait_for(lambda: "ETHUSDT" in exchange.demand[0], 5, "demand holds ETHUSDT")

        tracker.aggregator.on_delisted(["ETHUSDT"])
        [error] = await holder.wait("error")
        Envelope.model_validate(error)
        assert error["data"]["code"] == "delisted"
        assert error["data"]["details"] == ["ETHUSDT"]
        ack = await holder.call("ping")
        assert ack["ok"]
        await wait_for(
            lambda: exchange.demand == (frozenset({"BTCUSDT"}), frozenset()), 5, "demand"
        )
        assert tracker.store.get("ETHUSDT") is None
        assert other.of("error") == []
        # The holder keeps its other subscription: a batch for it still arrives.
        tracker.aggregator.on_price(price("BTCUSDT", "1.0"))
        # (the first batch is the subscribe's snapshot: ETHUSDT's price, held then)
        batches = await holder.wait("batch_update", count=2)
        assert [u["symbol"] for u in batches[1]["data"]["updates"]] == ["BTCUSDT"]
        await holder.close()
        await other.close()


async def test_a_market_listed_as_another_leaves_is_known_at_once() -> None:
    exchange = QuietExchange(SYMBOLS)
    async with serve(exchange=exchange, batch_interval_ms=50) as (_tracker, url):
        client = Recorder()
        await client.connect(url)
        assert (await client.call("subscribe", {"symbols": ["ETHUSDT"]}))["added"] == ["ETHUSDT"]
        # One exchangeInfo reading later: ETHUSDT delisted, DOGEUSDT listed (the same count).
        exchange.replace_symbols([s for s in SYMBOLS if s != "ETHUSDT"] + ["DOGEUSDT"])
        ack = await client.call("subscribe", {"symbols": ["DOGEUSDT", "ETHUSDT"]})
        assert ack["added"] == ["DOGEUSDT"]
        [error] = await client.wait("error")
        assert (error["data"]["code"], error["data"]["details"]) == ("unknown_symbol", ["ETHUSDT"])
        await client.close()
