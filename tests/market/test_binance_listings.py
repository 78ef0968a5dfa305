"""exchangeInfo read again while streaming, against the simulator over a real socket: a new
listing is streamed and priced, a delisted market dropped, a halted one marked until it trades."""

from __future__ import annotations

from cryptotracker.market.breaker import CircuitState
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.server import Simulator
from tests.market.helpers import RecordingSink, connections, provider_running
from tests.support import wait_for


def listed(symbols: list[str], *wanted: str) -> bool:
    return all(s in symbols for s in wanted)


async def test_a_market_not_trading_at_start_up_is_listed_and_marked(
    sim: Simulator, sink: RecordingSink
) -> None:
    sim.set_status("PEPEUSDT", "HALT")
    async with provider_running(sim, sink) as (provider, states):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        assert "PEPEUSDT" in [s.symbol for s in provider.symbols()]
        assert provider.state.market_status == {"PEPEUSDT": "HALT"}
        assert "not trading: PEPEUSDT (HALT)" in states[-1].message
        # Its snapshot price stands (REST ticker/24hr), and no ticker moves it.
        assert "PEPEUSDT" in {p["symbol"] for p in provider.prices()}


async def test_refresh_lists_delists_and_marks_markets_while_streaming(
    sim: Simulator, sink: RecordingSink
) -> None:
    sim.set_status("DOGEUSDT", None)  # not listed yet
    async with provider_running(sim, sink, binance_exchange_info_refresh_s=0.2) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        await provider.set_demand(frozenset({"DOGEUSDT", "BTCUSDT"}), frozenset())
        streams = {"!miniTicker@arr", "btcusdt@aggTrade"}
        await wait_for(lambda: connections(sim) == {frozenset(streams)}, 5, "known symbols only")

        sim.set_status("DOGEUSDT", "TRADING")
        sim.set_status("ETHUSDT", None)
        sim.set_status("SOLUSDT", "BREAK")

        def symbols() -> list[str]:
            return [s.symbol for s in provider.symbols()]

        await wait_for(
            lambda: "DOGEUSDT" in symbols() and "ETHUSDT" not in symbols(), 5, "listings read"
        )
        assert provider.state.market_status == {"SOLUSDT": "BREAK"}
        assert "not trading: SOLUSDT (BREAK)" in provider.state.message
        assert "ETHUSDT" not in {p["symbol"] for p in provider.prices()}
        assert sink.delisted == ["ETHUSDT"]  # downstream is told, once
        # The demand asked before DOGEUSDT was listed is served now that it is.
        streams.add("dogeusdt@aggTrade")
        await wait_for(lambda: connections(sim) == {frozenset(streams)}, 5, "new listing streamed")
        seen = len(sink.prices)
        await wait_for(
            lambda: any(p["symbol"] == "DOGEUSDT" for p in sink.prices[seen:]), 5, "priced"
        )

        sim.set_status("SOLUSDT", "TRADING")
        await wait_for(lambda: provider.state.market_status == {}, 5, "trading again")
        assert "not trading" not in provider.state.message
        assert sim.rest.calls["exchangeInfo"] >= 3


async def test_halted_markets_are_not_shown_from_before_an_outage(
    sim: Simulator, sink: RecordingSink
) -> None:
    """While the feed is down (a fallback serves) its statuses are not current: none are shown.
    Back after the breaker opened, exchangeInfo is read again before any are: a halt that ended
    during the outage never reappears, even with the periodic refresh ten minutes away."""
    sim.set_status("PEPEUSDT", "HALT")
    async with provider_running(sim, sink, binance_exchange_info_refresh_s=600.0) as (
        provider,
        states,
    ):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        assert provider.state.market_status == {"PEPEUSDT": "HALT"}
        reads = sim.rest.calls["exchangeInfo"]

        sim.faults.http["ws"] = HttpFault(503)
        await sim.drop()
        await wait_for(lambda: provider.breaker.state is CircuitState.OPEN, 5, "breaker open")
        down = len(states)
        assert not provider.state.connected
        assert provider.state.market_status == {}

        sim.set_status("PEPEUSDT", "TRADING")  # the halt ends during the outage
        sim.faults.clear()
        await wait_for(lambda: sim.rest.calls["exchangeInfo"] > reads, 5, "exchangeInfo re-read")
        await wait_for(lambda: provider.state.connected, 5, "connected again")
        assert provider.state.market_status == {}
        assert all(s.market_status == {} for s in states[down:])
        assert all("not trading" not in s.message for s in states[down:] if s.connected)
