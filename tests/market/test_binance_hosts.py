"""Binance documents several stream and REST hosts: when one fails (refused, timed out; for REST
also a 5xx), the next is tried. An HTTP refusal such as 429, 418 or 451 is not a host failure:
every host of the address would give it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cryptotracker.market.binance import BANNED, BinanceProvider
from cryptotracker.market.hosts import Hosts
from cryptotracker.protocol import Source
from cryptotracker.settings import Settings
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.server import Simulator
from tests.market.helpers import FAST, FAST_MARKET, RecordingSink
from tests.simulator.fixtures import SimulatorFactory
from tests.support import free_port, wait_for


@contextlib.asynccontextmanager
async def running(settings: Settings, sink: RecordingSink) -> AsyncIterator[BinanceProvider]:
    """A Binance feed of `settings` (its hosts from them, as in production), until the end."""
    provider = BinanceProvider(settings, sink, source=Source.SIMULATOR)
    task = asyncio.create_task(provider.run())
    try:
        yield provider
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def hosts_settings(ws: str, rest: list[str], **knobs: Any) -> Settings:
    return Settings(
        binance_ws_url=ws,
        binance_ws_fallback_urls=[],
        binance_rest_url=rest[0],
        binance_rest_fallback_urls=rest[1:],
        **{**FAST, **knobs},
    )


async def test_a_host_that_does_not_answer_hands_over_to_the_next(
    sim: Simulator, sink: RecordingSink
) -> None:
    dead = f"ws://127.0.0.1:{free_port()}"
    settings = Settings(
        binance_ws_url=dead,
        binance_ws_fallback_urls=[sim.ws_url],
        binance_rest_url=sim.rest_url,
        **FAST,
    )
    provider = BinanceProvider(settings, sink, source=Source.SIMULATOR)
    task = asyncio.create_task(provider.run())
    try:
        await wait_for(lambda: provider.state.connected, 10, "connected to the second host")
        await wait_for(lambda: len(sink.prices) > 0, 10, "prices from it")
        assert provider.ws_url == sim.ws_url.rstrip("/")
        assert sim.handshakes >= 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_stream_host_answering_5xx_hands_over_to_the_next(
    simulator_factory: SimulatorFactory, sink: RecordingSink
) -> None:
    broken = await simulator_factory(**FAST_MARKET)
    good = await simulator_factory(**FAST_MARKET)
    broken.faults.http["ws"] = HttpFault(503)
    settings = Settings(
        binance_ws_url=broken.ws_url,
        binance_ws_fallback_urls=[good.ws_url],
        binance_rest_url=good.rest_url,
        binance_rest_fallback_urls=[],
        **FAST,
    )
    async with running(settings, sink) as provider:
        await wait_for(lambda: provider.state.connected, 10, "connected to the second host")
        assert provider.ws_url == good.ws_url
        assert (broken.handshakes, good.handshakes) == (1, 1)


def test_a_feed_given_its_url_has_no_other_host() -> None:
    settings = Settings(binance_ws_fallback_urls=["wss://elsewhere:443"])
    provider = BinanceProvider(settings, RecordingSink(), ws_url="ws://127.0.0.1:1/")
    assert provider.ws_url == "ws://127.0.0.1:1"
    provider._next_host()  # a failure changes nothing: there is nowhere else to go
    assert provider.ws_url == "ws://127.0.0.1:1"


def test_the_default_hosts_are_binances_documented_ones() -> None:
    settings = Settings(_env_file=None)
    assert settings.binance_ws_url == "wss://data-stream.binance.vision"  # market data only
    assert settings.binance_ws_fallback_urls == [
        "wss://stream.binance.com:9443", "wss://stream.binance.com:443",
    ]  # fmt: skip
    assert settings.binance_rest_url == "https://data-api.binance.vision"  # market data only
    assert settings.binance_rest_fallback_urls == [
        "https://api.binance.com", "https://api-gcp.binance.com", "https://api1.binance.com",
        "https://api2.binance.com", "https://api3.binance.com", "https://api4.binance.com",
    ]  # fmt: skip
    provider = BinanceProvider(settings, RecordingSink())
    assert provider.rest_hosts.urls == [
        settings.binance_rest_url, *settings.binance_rest_fallback_urls
    ]  # fmt: skip


def test_a_feed_given_its_rest_url_has_no_other_rest_host() -> None:
    settings = Settings(binance_rest_fallback_urls=["https://elsewhere"])
    provider = BinanceProvider(settings, RecordingSink(), rest_url="http://127.0.0.1:1/")
    assert provider.rest_hosts.urls == ["http://127.0.0.1:1"]


def test_hosts_go_round_and_a_late_failure_does_not_skip_the_successor() -> None:
    hosts = Hosts(["http://a/", "http://b", "http://c"])
    assert hosts.failed("http://a")
    assert hosts.current == "http://b"
    assert not hosts.failed("http://a")  # a second call that also failed on a: b stays
    assert hosts.current == "http://b"
    assert hosts.failed("http://b") and hosts.failed("http://c")
    assert hosts.current == "http://a"
    assert not Hosts(["http://only"]).failed("http://only")


async def test_a_rest_host_that_does_not_answer_hands_over_to_the_next(
    sim: Simulator, sink: RecordingSink
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = hosts_settings(sim.ws_url, [dead, sim.rest_url])
    async with running(settings, sink) as provider:
        await wait_for(lambda: provider.state.connected, 10, "bootstrapped from the second host")
        assert provider.rest_url == sim.rest_url
        assert provider.breaker.failures == 0  # the same call went on: no failed attempt
        assert sim.rest.calls["exchangeInfo"] == 1


@pytest.mark.parametrize("status", [500, 503])
async def test_a_rest_host_answering_5xx_hands_over_to_the_next(
    simulator_factory: SimulatorFactory, sink: RecordingSink, status: int
) -> None:
    broken = await simulator_factory(**FAST_MARKET)
    good = await simulator_factory(**FAST_MARKET)
    broken.faults.http["rest"] = HttpFault(status)
    settings = hosts_settings(good.ws_url, [broken.rest_url, good.rest_url])
    async with running(settings, sink) as provider:
        await wait_for(lambda: provider.state.connected, 10, "bootstrapped from the second host")
        assert provider.rest_url == good.rest_url
        # Asked once, then never again: later calls start at the host that answered.
        assert broken.rest.calls == {"exchangeInfo": 1}
        assert set(good.rest.calls) >= {"exchangeInfo", "ticker/24hr", "time"}


@pytest.mark.parametrize(("status", "retry_after"), [(429, 0.0), (418, 30.0), (451, None)])
async def test_a_refusal_of_the_address_stays_on_the_host(
    simulator_factory: SimulatorFactory,
    sink: RecordingSink,
    status: int,
    retry_after: float | None,
) -> None:
    refusing = await simulator_factory(**FAST_MARKET)
    other = await simulator_factory(**FAST_MARKET)
    refusing.faults.http["rest"] = HttpFault(status, retry_after=retry_after)
    settings = hosts_settings(other.ws_url, [refusing.rest_url, other.rest_url])
    async with running(settings, sink) as provider:
        await wait_for(lambda: bool(refusing.rest.calls), 10, "the first host asked")
        await wait_for(lambda: provider.breaker.failures >= 1, 10, "a failed attempt")
        assert provider.rest_url == refusing.rest_url
        assert other.rest.calls == {}  # every host would say the same: none is asked
        assert not provider.state.connected
        if status == 418:
            assert BANNED in provider.state.message
