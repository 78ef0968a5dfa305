"""Binance's REST budget: one per feed, spent by every REST call, fed by Binance's own weight
header, and stopping every call while a 429/418 lasts. Pure tests with a clock, then against the
simulator over a real socket (it counts weight per address as Binance does)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from cryptotracker.market.binance_rest import BinanceRest, RestError
from cryptotracker.market.request_weight import RequestWeight
from cryptotracker.protocol import Source
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.server import Simulator
from tests.simulator.fixtures import SimulatorFactory


class Clock:
    def __init__(self, now: float = 1_000_040.0) -> None:  # 20 s into a minute
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_calls_past_the_minutes_budget_are_held_until_the_next_minute() -> None:
    clock = Clock()
    budget = RequestWeight(100, clock)
    assert [budget.spend(20) for _ in range(5)] == [None] * 5
    hold = budget.spend(2)
    assert hold is not None and hold.reason == "budget"
    assert hold.wait_s == pytest.approx(40.0)
    assert budget.used == 100  # a held call counts nothing
    clock.now += 40.0
    assert budget.spend(2) is None and budget.used == 2


def test_binances_header_raises_our_count_never_lowers_it() -> None:
    budget = RequestWeight(100, Clock())
    budget.spend(2)
    budget.observe(200, "90", None)  # someone else on our address spent 88
    assert budget.used == 90
    budget.observe(200, "3", None)  # an older answer arriving late
    assert budget.used == 90
    budget.observe(200, "not a number", None)
    assert budget.used == 90
    hold = budget.spend(20)
    assert hold is not None and hold.reason == "budget"


def test_a_429_holds_every_call_for_its_retry_after() -> None:
    clock = Clock()
    budget = RequestWeight(6000, clock)
    budget.observe(429, "1200", 7.0)
    hold = budget.spend(1)
    assert hold is not None and hold.reason == "limited" and hold.wait_s == pytest.approx(7.0)
    clock.now += 7.0
    assert budget.spend(1) is None


def test_a_418_ban_holds_calls_for_its_whole_length_even_without_retry_after() -> None:
    clock = Clock()
    budget = RequestWeight(6000, clock)
    budget.observe(418, None, None)
    budget.observe(429, None, 1.0)  # a shorter wait does not shorten the ban
    hold = budget.spend(1)
    assert hold is not None and hold.reason == "banned" and hold.wait_s == pytest.approx(120.0)
    clock.now += 119.0
    assert budget.spend(1) is not None
    clock.now += 1.0
    assert budget.spend(1) is None


async def test_budget_is_shared_by_every_rest_call_of_a_feed(sim: Simulator) -> None:
    budget = RequestWeight(30, Clock())  # exchangeInfo (20) + five klines (2 each)
    async with httpx.AsyncClient(base_url=sim.rest_url, timeout=5) as client:
        rest = BinanceRest(client, Source.SIMULATOR, budget)
        await rest.exchange_info(["USDT"])
        symbol = sim.market.symbols[0]
        for _ in range(5):
            await rest.klines(symbol, "1m", 10)
        for _ in range(3):
            with pytest.raises(RestError, match="budget") as held:
                await rest.klines(symbol, "1m", 10)
            assert held.value.retry_after == pytest.approx(40.0)
    assert sim.rest.calls == {"exchangeInfo": 1, "klines": 5}


async def test_weight_others_spent_on_the_address_is_seen_through_the_header(
    simulator_factory: SimulatorFactory,
) -> None:
    sim = await simulator_factory(rest_weight_per_min=100)
    mine, theirs = RequestWeight(100, Clock()), RequestWeight(100, Clock())
    async with httpx.AsyncClient(base_url=sim.rest_url, timeout=5) as client:
        symbol = sim.market.symbols[0]
        other = BinanceRest(client, Source.SIMULATOR, theirs)
        for _ in range(45):  # another instance on the same address: 90 of the 100
            await other.klines(symbol, "1m", 1)
        await BinanceRest(client, Source.SIMULATOR, mine).klines(symbol, "1m", 1)
    assert mine.used >= 92  # Binance's count, not our own 2
    hold = mine.spend(10)
    assert hold is not None and hold.reason == "budget"


async def test_after_a_429_no_call_reaches_the_exchange_until_retry_after(sim: Simulator) -> None:
    budget = RequestWeight(6000)
    sim.faults.http["rest"] = HttpFault(429, remaining=1, retry_after=1.0)
    async with httpx.AsyncClient(base_url=sim.rest_url, timeout=5) as client:
        rest = BinanceRest(client, Source.SIMULATOR, budget)
        symbol = sim.market.symbols[0]
        with pytest.raises(RestError) as first:
            await rest.klines(symbol, "1m", 10)
        assert first.value.status == 429
        calls = dict(sim.rest.calls)
        with pytest.raises(RestError, match="429") as held:
            await rest.klines(symbol, "1m", 10)
        assert held.value.status is None and sim.rest.calls == calls  # not sent
        assert held.value.retry_after is not None and 0 < held.value.retry_after <= 1.0
        await asyncio.sleep(held.value.retry_after)  # waiting out the exchange's own Retry-After
        assert len(await rest.klines(symbol, "1m", 10)) == 10
