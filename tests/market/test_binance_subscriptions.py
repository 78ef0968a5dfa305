"""SUBSCRIBE replies matched by id over a real socket: a rejected or unanswered request is sent
again (bounded), and LIST_SUBSCRIPTIONS repairs what the connection really carries."""

from __future__ import annotations

from cryptotracker.simulator.faults import RequestFault
from cryptotracker.simulator.server import Simulator
from tests.market.helpers import RecordingSink, connections, provider_running
from tests.support import wait_for

WANTED = frozenset({"!miniTicker@arr", "btcusdt@aggTrade"})
BTC = frozenset({"BTCUSDT"})


async def test_a_rejected_subscribe_is_sent_again_until_accepted(
    sim: Simulator, sink: RecordingSink
) -> None:
    sim.faults.requests["SUBSCRIBE"] = RequestFault("reject", 2)
    async with provider_running(sim, sink) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        await provider.set_demand(BTC, frozenset())
        await wait_for(lambda: provider.subscriptions == {0: WANTED}, 5, "subscription confirmed")
        assert connections(sim) == {WANTED}
        assert sim.requests == {"SUBSCRIBE": 3}


async def test_an_unanswered_subscribe_is_sent_again_after_the_reply_timeout(
    sim: Simulator, sink: RecordingSink
) -> None:
    sim.faults.requests["SUBSCRIBE"] = RequestFault("ignore", 1)
    # A second without a reply: long enough to look at the unconfirmed state on a busy machine.
    async with provider_running(sim, sink, ws_reply_timeout_s=1.0) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        await provider.set_demand(BTC, frozenset())
        await wait_for(lambda: sim.requests.get("SUBSCRIBE") == 1, 5, "first request")
        assert provider.subscriptions == {0: WANTED - {"btcusdt@aggTrade"}}  # not confirmed
        await wait_for(lambda: provider.subscriptions == {0: WANTED}, 5, "subscription confirmed")
        assert connections(sim) == {WANTED}
        assert sim.requests == {"SUBSCRIBE": 2}


async def test_a_subscribe_rejected_every_attempt_waits_for_the_listing_check(
    sim: Simulator, sink: RecordingSink
) -> None:
    sim.faults.requests["SUBSCRIBE"] = RequestFault("reject", 3)
    # The check comes well after the three attempts (four requests a second), even when slow.
    knobs = {"ws_request_attempts": 3, "ws_list_subscriptions_s": 2.5}
    async with provider_running(sim, sink, **knobs) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        await provider.set_demand(BTC, frozenset())
        await wait_for(lambda: sim.requests.get("SUBSCRIBE") == 3, 5, "three attempts")
        assert sim.requests.get("LIST_SUBSCRIPTIONS") is None  # given up until the check
        await wait_for(lambda: connections(sim) == {WANTED}, 5, "subscribed after the check")
        assert sim.requests["SUBSCRIBE"] == 4
        assert sim.requests["LIST_SUBSCRIPTIONS"] >= 1
        await wait_for(lambda: provider.subscriptions == {0: WANTED}, 5, "confirmed")


async def test_a_stream_the_server_lost_is_found_by_the_listing_and_subscribed_again(
    sim: Simulator, sink: RecordingSink
) -> None:
    async with provider_running(sim, sink, ws_list_subscriptions_s=0.3) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        await provider.set_demand(BTC, frozenset())
        await wait_for(lambda: connections(sim) == {WANTED}, 5, "subscribed")
        assert sim.requests["SUBSCRIBE"] == 1
        sim.forget("btcusdt@aggTrade")
        assert connections(sim) == {WANTED - {"btcusdt@aggTrade"}}
        await wait_for(lambda: connections(sim) == {WANTED}, 5, "repaired by the listing")
        assert sim.requests["SUBSCRIBE"] == 2
        assert sim.handshakes == 1  # repaired on the same connection
        # The simulator applies the request before its reply reaches the provider.
        await wait_for(lambda: provider.subscriptions == {0: WANTED}, 5, "repair confirmed")
