"""The whole chain over real sockets: simulator (speaking Binance's protocol) -> Binance provider
-> aggregator -> Redis -> gateway -> a real python-socketio client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cryptotracker.settings import Settings
from tests.conftest import PrivateRedis
from tests.harness import Recorder, serve
from tests.support import free_port, wait_for


def settings_for(sim: Any, **overrides: Any) -> Settings:
    knobs: dict[str, Any] = {
        "port": free_port(),
        "binance_ws_url": sim.ws_url,
        "binance_ws_fallback_urls": [],
        "binance_rest_fallback_urls": [],
        "binance_rest_url": sim.rest_url,
        "coingecko_url": sim.coingecko_url,
        "simulator_fallback": False,
        "source_order": ["binance", "coingecko"],  # the other exchanges are unreachable here
        "backoff_base_ms": 50,
        "backoff_max_ms": 500,
        "feed_silence_s": 3.0,
    }
    knobs.update(overrides)
    return Settings(**knobs)


def updates_for(client: Recorder, symbol: str) -> list[dict[str, Any]]:
    return [
        u for b in client.of("batch_update") for u in b["data"]["updates"] if u["symbol"] == symbol
    ]


async def test_simulated_market_reaches_a_subscribed_client(simulator: Any) -> None:
    async with serve(settings_for(simulator, redis_url=None)) as (tracker, url):
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            await wait_for(
                lambda: len(tracker.store) >= len(simulator.symbols) // 2,
                20,
                "24h snapshot of the market",
            )
            prices = (await http.get("/api/prices")).json()
            assert prices["source"] == "binance"
            assert {p["symbol"] for p in prices["prices"]} <= set(simulator.symbols)
            health = await http.get("/health")
            assert health.status_code == 200, health.text
            symbols = (await http.get("/api/symbols")).json()["symbols"]
            assert len(symbols) == len(simulator.symbols)
            candles = (await http.get("/api/candles/BTCUSDT?interval=1m&limit=50")).json()
            assert len(candles["candles"]) == 50
        client = Recorder()
        await client.connect(url)
        await client.call(
            "subscribe",
            {
                "symbols": ["BTCUSDT", "ETHUSDT"],
                "candles": [{"symbol": "BTCUSDT", "interval": "1m"}],
            },
        )
        await wait_for(lambda: len(updates_for(client, "BTCUSDT")) >= 3, 20, "live BTC updates")
        await client.wait("candle_update", timeout=20)
        await wait_for(
            lambda: any(
                "btcusdt@aggtrade" in s.lower()
                for subs in simulator.subscriptions().values()
                for s in subs
            ),
            10,
            "aggTrade subscription at the exchange",
        )
        update = updates_for(client, "BTCUSDT")[-1]
        assert update["source"] == "binance"
        assert isinstance(update["price"], str)
        assert {u["symbol"] for b in client.of("batch_update") for u in b["data"]["updates"]} <= {
            "BTCUSDT",
            "ETHUSDT",
        }
        await client.close()


async def test_updates_resume_after_the_exchange_drops_the_connection(simulator: Any) -> None:
    async with serve(settings_for(simulator)) as (_, url):
        client = Recorder()
        await client.connect(url)
        await client.call("subscribe", {"symbols": ["BTCUSDT"]})
        await wait_for(lambda: len(updates_for(client, "BTCUSDT")) >= 2, 20, "updates")
        await simulator.drop()
        seen = len(updates_for(client, "BTCUSDT"))
        await wait_for(
            lambda: len(updates_for(client, "BTCUSDT")) >= seen + 3, 20, "updates after reconnect"
        )
        # re-subscribed on the new connection
        assert any(
            "btcusdt@aggtrade" in s.lower()
            for subs in simulator.subscriptions().values()
            for s in subs
        )
        await client.close()


@pytest.mark.slow
async def test_two_instances_on_one_redis_deliver_the_same_batches(
    simulator: Any, redis_url: str
) -> None:
    async with (
        serve(settings_for(simulator, redis_url=redis_url)) as (a, url_a),
        serve(settings_for(simulator, redis_url=redis_url)) as (b, url_b),
    ):
        await wait_for(lambda: a.ingesting != b.ingesting, 15, "exactly one ingesting instance")
        ca, cb = Recorder(), Recorder()
        await ca.connect(url_a)
        await cb.connect(url_b)
        for c in (ca, cb):
            await c.call("subscribe", {"symbols": ["BTCUSDT", "ETHUSDT", "SOLUSDT"]})
        await wait_for(
            lambda: len(ca.of("batch_update")) >= 8 and len(cb.of("batch_update")) >= 8,
            30,
            "batches on both instances",
        )

        def live(c: Recorder) -> dict[int, list[tuple[str, str]]]:
            return {
                b["data"]["timestamp"]: [(u["symbol"], u["price"]) for u in b["data"]["updates"]]
                for b in c.of("batch_update")
                if not b["data"]["snapshot"]
            }

        common = set(live(ca)) & set(live(cb))
        assert len(common) >= 5
        assert all(live(ca)[t] == live(cb)[t] for t in common)
        await ca.close()
        await cb.close()


@pytest.mark.slow
async def test_redis_restart_keeps_clients_served_then_resyncs(
    simulator: Any, private_redis: PrivateRedis
) -> None:
    async with serve(settings_for(simulator, redis_url=private_redis.url)) as (tracker, url):
        assert tracker.link is not None
        await wait_for(lambda: tracker.link is not None and tracker.link.up, 10, "redis up")
        client = Recorder()
        await client.connect(url)
        await client.call("subscribe", {"symbols": ["BTCUSDT"]})
        await wait_for(lambda: len(updates_for(client, "BTCUSDT")) >= 2, 20, "updates")
        private_redis.stop()
        seen = len(updates_for(client, "BTCUSDT"))
        await wait_for(
            lambda: len(updates_for(client, "BTCUSDT")) >= seen + 3,
            20,
            "updates while Redis is down",
        )
        async with httpx.AsyncClient(base_url=url, timeout=5) as http:
            await wait_for(lambda: not tracker.link.up, 10, "redis marked down")  # type: ignore[union-attr]
            health = (await http.get("/health")).json()
            assert health["redis"]["status"] == "degraded"
            private_redis.start()
            await wait_for(lambda: tracker.link.up, 20, "redis back")  # type: ignore[union-attr]
            health = (await http.get("/health")).json()
            assert health["redis"]["status"] == "ok"
        await client.close()


async def test_a_market_delisted_before_anyone_subscribed_is_refused_as_delisted(
    simulator: Any,
) -> None:
    """A page listed the market before it went (its row is on screen); it subscribes after the
    delisting: a `delisted` error, on which the page drops the row, not an ack and an empty row
    for ever. Listed again, it is subscribed as any other."""
    settings = settings_for(simulator, redis_url=None, binance_exchange_info_refresh_s=0.3)
    async with (
        serve(settings) as (tracker, url),
        httpx.AsyncClient(base_url=simulator.rest_url, timeout=5) as sim_http,
    ):
        await wait_for(lambda: tracker.store.get("ETHUSDT") is not None, 20, "ETHUSDT priced")
        knob = await sim_http.get("/sim/fault", params={"kind": "delist", "symbol": "ETHUSDT"})
        assert knob.status_code == 200, knob.text
        await wait_for(lambda: tracker.store.get("ETHUSDT") is None, 20, "ETHUSDT forgotten")

        client = Recorder()
        await client.connect(url)
        ack = await client.call("subscribe", {"symbols": ["BTCUSDT", "ETHUSDT"]})
        assert ack["added"] == ["BTCUSDT"]
        [error] = await client.wait("error")
        assert (error["data"]["code"], error["data"]["details"]) == ("delisted", ["ETHUSDT"])

        knob = await sim_http.get(
            "/sim/fault", params={"kind": "status", "symbol": "ETHUSDT", "status": "TRADING"}
        )
        assert knob.status_code == 200, knob.text
        await wait_for(
            lambda: "ETHUSDT" in {s.symbol for s in tracker.symbols()}, 20, "ETHUSDT listed again"
        )
        ack = await client.call("subscribe", {"symbols": ["ETHUSDT"]})
        assert ack["added"] == ["ETHUSDT"]
        assert len(client.of("error")) == 1
        await client.close()


async def test_a_delisted_market_leaves_the_api_and_its_subscribers(simulator: Any) -> None:
    settings = settings_for(simulator, redis_url=None, binance_exchange_info_refresh_s=0.3)
    async with (
        serve(settings) as (tracker, url),
        httpx.AsyncClient(base_url=url, timeout=5) as http,
    ):
        await wait_for(lambda: tracker.store.get("ETHUSDT") is not None, 20, "ETHUSDT priced")
        client = Recorder()
        await client.connect(url)
        await client.call("subscribe", {"symbols": ["BTCUSDT", "ETHUSDT"]})

        # The simulator's knob: exchangeInfo stops listing ETHUSDT.
        knob = await http.get(f"{simulator.rest_url}/sim/fault?kind=delist&symbol=ETHUSDT")
        assert knob.status_code == 200, knob.text
        [error] = await client.wait("error", timeout=20)
        assert (error["data"]["code"], error["data"]["details"]) == ("delisted", ["ETHUSDT"])

        symbols = {s["symbol"] for s in (await http.get("/api/symbols")).json()["symbols"]}
        assert "ETHUSDT" not in symbols and "BTCUSDT" in symbols
        prices = {p["symbol"] for p in (await http.get("/api/prices")).json()["prices"]}
        assert "ETHUSDT" not in prices and "BTCUSDT" in prices
        assert (await http.get("/api/prices/ETHUSDT")).status_code == 404
        seen = len(client.of("batch_update"))
        await wait_for(lambda: len(client.of("batch_update")) > seen + 2, 20, "later batches")
        later = client.of("batch_update")[seen:]
        assert all(u["symbol"] != "ETHUSDT" for b in later for u in b["data"]["updates"])
        await client.close()
