"""CoinGecko polling against the simulator's `/coins/markets`: mapping to <BASE>USDT (the coin
metadata's ids, or before it is loaded the top page by market cap), the exact numbers CoinGecko
wrote, only moved prices, rate limits honoured."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from cryptotracker.clock import now_ms
from cryptotracker.market.binance_rest import RestError, retry_after_s
from cryptotracker.market.coingecko import CoinGeckoProvider
from cryptotracker.protocol import PriceUpdate
from cryptotracker.settings import Settings
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.server import Simulator
from tests.market.helpers import RecordingSink

# What the coin metadata maps (more than the provider is asked for).
METADATA_IDS = {"BTC": "bitcoin", "ETH": "ethereum", "PEPE": "pepe", "SOL": "solana"}


def provider(
    sim: Simulator, sink: RecordingSink, ids: dict[str, str] | None = None, **knobs: Any
) -> CoinGeckoProvider:
    settings = Settings(coingecko_calls_per_min=6000, backoff_jitter=0, **knobs)
    mapping = METADATA_IDS if ids is None else ids
    return CoinGeckoProvider(
        settings, sink, base_url=sim.coingecko_url, assets=["BTC", "ETH", "PEPE"],
        ids=lambda: mapping,
    )  # fmt: skip


def move(sim: Simulator, symbol: str) -> None:
    """Trade `symbol` on the simulated market until its price is another tick."""
    market = sim.market.markets[symbol]
    before = market.price
    for _ in range(1000):
        sim.market.trade(symbol, now_ms(), 400.0)
        if market.price != before:
            return
    raise AssertionError(f"{symbol} did not move in 1000 trades")


async def test_poll_emits_labelled_usdt_prices_only_when_they_move(
    sim: Simulator, sink: RecordingSink
) -> None:
    sim.rate = 0.0  # a still market: nothing moves unless the test trades
    cg = provider(sim, sink)
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with httpx.AsyncClient(base_url=cg.base_url, event_hooks={"request": [record]}) as client:
        assert await cg.poll_once(client) == 3
        assert await cg.poll_once(client) == 0  # nothing moved
        move(sim, "BTCUSDT")
        assert await cg.poll_once(client) == 1
        assert sim.rest.calls == {"coingecko/coins/markets": 3}  # one call a poll
        # What CoinGecko (the simulator) wrote, as exact decimals.
        answer = await client.get(sent[0].url)
        rows = {row["id"]: row for row in json.loads(answer.text, parse_float=Decimal)}
    latest = sink.latest()
    assert set(latest) == {"BTCUSDT", "ETHUSDT", "PEPEUSDT"}
    for symbol, cid in [("BTCUSDT", "bitcoin"), ("ETHUSDT", "ethereum"), ("PEPEUSDT", "pepe")]:
        p, row = latest[symbol], rows[cid]
        assert Decimal(p["price"]) == row["current_price"]
        assert Decimal(p["high24h"]) == row["high_24h"]
        assert Decimal(p["low24h"]) == row["low_24h"]
        assert Decimal(p["volume24h"]) == row["total_volume"]
    # The same price as the simulator's Binance side shows, to the last digit of a tiny one.
    pepe = sim.market.markets["PEPEUSDT"]
    assert Decimal(latest["PEPEUSDT"]["price"]) * 10**8 == pepe.price
    assert latest["PEPEUSDT"]["price"].startswith("0.0000")
    assert sink.sources() == {"coingecko"}
    for update in sink.prices:
        PriceUpdate.model_validate(update)
    assert sent[0].url.path == "/coingecko/api/v3/coins/markets"
    assert parse_qs(sent[0].url.query.decode()) == {
        "vs_currency": ["usd"],
        "ids": ["bitcoin,ethereum,pepe"],
        "per_page": ["250"],
        "page": ["1"],
    }
    assert [s.symbol for s in cg.symbols()] == ["BTCUSDT", "ETHUSDT", "PEPEUSDT"]


async def test_rate_limited_poll_waits_at_least_retry_after(
    sim: Simulator, sink: RecordingSink
) -> None:
    sim.faults.http["coingecko"] = HttpFault(429, retry_after=7.0)
    cg = provider(sim, sink, coingecko_poll_s=1.0)
    async with httpx.AsyncClient(base_url=cg.base_url) as client:
        with pytest.raises(RestError) as caught:
            await cg.poll_once(client)
    assert (caught.value.status, caught.value.retry_after) == (429, 7.0)
    assert cg._failed(caught.value) >= 7.0
    assert cg.failures == 1
    assert not cg.state.connected
    assert sink.prices == []


def test_failures_back_off_but_never_beyond_the_poll_interval() -> None:
    cg = CoinGeckoProvider(Settings(backoff_jitter=0, coingecko_poll_s=3.0), RecordingSink())
    delays = [cg._failed(RestError("down", status=500)) for _ in range(4)]
    assert delays == [1.0, 2.0, 3.0, 3.0]


async def test_before_the_metadata_loads_the_top_page_maps_tickers_by_market_cap(
    sim: Simulator, sink: RecordingSink
) -> None:
    """No mapping yet: one call for the top page by market cap; ETH, which a bridged copy
    shares on the simulated CoinGecko as on the real one, goes to the coin with the higher cap;
    the mapping is used as soon as it exists."""
    sim.rate = 0.0
    mapping: dict[str, str] = {}
    cg = provider(sim, sink, ids=mapping)
    async with httpx.AsyncClient(base_url=cg.base_url) as client:
        assert await cg.poll_once(client) == 3
        assert sim.rest.calls == {"coingecko/coins/markets": 1}
        assert [s.symbol for s in cg.symbols()] == ["BTCUSDT", "ETHUSDT", "PEPEUSDT"]
        assert "ethereum-bridged" in {c.id for c in sim.rest.coingecko.coins}
        eth = sim.market.markets["ETHUSDT"].price
        assert Decimal(sink.latest()["ETHUSDT"]["price"]) * 10**8 == eth  # not the copy's
        mapping.update(METADATA_IDS)
        move(sim, "ETHUSDT")
        assert await cg.poll_once(client) == 1
    assert [s.symbol for s in cg.symbols()] == ["BTCUSDT", "ETHUSDT", "PEPEUSDT"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("0", 0.0), (None, None), ("soon", None)],
)
def test_retry_after_header_in_seconds(header: str | None, expected: float | None) -> None:
    assert retry_after_s(header) == expected


def test_retry_after_http_date() -> None:
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
