"""The exchange clients honour one proxy setting, WebSocket and REST alike (a deployment that
may only leave through a proxy): a real forward proxy between the provider and the simulator."""

from __future__ import annotations

from cryptotracker.simulator.server import Simulator
from tests.market.forward_proxy import ForwardProxy
from tests.market.helpers import RecordingSink, provider_running
from tests.support import wait_for


async def test_streams_and_rest_calls_go_through_the_configured_proxy(
    sim: Simulator, sink: RecordingSink
) -> None:
    async with (
        ForwardProxy().running() as proxy,
        provider_running(sim, sink, exchange_proxy=proxy.url) as (provider, _),
    ):
        await wait_for(lambda: provider.state.connected, 10, "connected through the proxy")
        await wait_for(lambda: len(sink.prices) > 0, 10, "prices through the proxy")
    ws_host = sim.ws_url.split("//", 1)[1].split("/", 1)[0]
    assert f"CONNECT {ws_host}" in proxy.asked  # the WebSocket tunnel
    assert any(a.startswith("GET ") and "/api/v3/exchangeInfo" in a for a in proxy.asked)
