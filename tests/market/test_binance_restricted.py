"""A 451 (Binance refuses this address's location) is a state of its own, said in the status
text, not an outage like any other; over a real socket."""

from __future__ import annotations

import time

import pytest

from cryptotracker.market.binance import BANNED, RESTRICTED
from cryptotracker.market.breaker import CircuitState
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.server import Simulator
from tests.market.helpers import RecordingSink, provider_running
from tests.support import wait_for


@pytest.mark.parametrize("target", ["ws", "rest"])
async def test_a_451_says_restricted_until_data_flows_again(
    sim: Simulator, sink: RecordingSink, target: str
) -> None:
    sim.faults.http[target] = HttpFault(451)
    # The breaker opens on the first refusal: its status text must say why too.
    async with provider_running(sim, sink, breaker_failure_threshold=1) as (provider, states):
        await wait_for(lambda: provider.breaker.state is CircuitState.OPEN, 5, "breaker open")
        assert provider.state.restricted
        refusals = [s for s in states if not s.connected and s.message != "not started"]
        assert refusals and all(s.restricted and RESTRICTED in s.message for s in refusals)
        sim.faults.clear()
        await wait_for(lambda: provider.state.connected, 5, "connected")
        assert not provider.state.restricted
        assert RESTRICTED not in provider.state.message


async def test_a_429_is_not_a_restriction(sim: Simulator, sink: RecordingSink) -> None:
    sim.faults.http["ws"] = HttpFault(429, retry_after=0.0)
    async with provider_running(sim, sink) as (provider, states):
        await wait_for(lambda: provider.breaker.state is CircuitState.OPEN, 5, "breaker open")
        assert not any(s.restricted for s in states)
        assert "HTTP 429" in " ".join(s.message for s in states)


async def test_a_ban_opens_the_breaker_at_once_and_sends_nothing_until_it_ends(
    sim: Simulator, sink: RecordingSink
) -> None:
    """A 418 with a Retry-After longer than the breaker's pause: waiting it out three times
    before the breaker opens would keep the fallbacks away for three bans' length."""
    sim.faults.http["rest"] = HttpFault(418, retry_after=600.0)
    async with provider_running(sim, sink) as (provider, states):
        await wait_for(lambda: provider.breaker.state is CircuitState.OPEN, 5, "breaker open")
        assert provider.breaker.failures == 1
        assert BANNED in provider.state.message
        retry_at = provider.state.retry_at
        assert retry_at is not None and retry_at - time.time() > 500  # the ban's end, not 0.5 s
        assert sim.rest.calls == {"exchangeInfo": 1}
        assert not any(s.restricted for s in states)  # a ban is not a restricted location
