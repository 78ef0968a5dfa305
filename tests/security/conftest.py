"""The hostile-client suite's target: one real `cryptotracker serve` process fed by the
simulator, with production's strictness (nobody exempt, no docs), shared by the suite, and a
well-behaved client watching its batches (what attacks cost it: yardstick.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.cluster.kit import Sim, Tracker, Watcher, simulator, tracker, wait_live
from tests.security.yardstick import symbols_of
from tests.support import wait_until

SYMBOL_COUNT = 30
WATCHER_ADDRESS = "198.51.100.10"


@pytest.fixture(scope="package")
def sim() -> Iterator[Sim]:
    with simulator(symbols=SYMBOL_COUNT, rate=150.0) as s:
        yield s


@pytest.fixture(scope="package")
def history_sim() -> Iterator[Sim]:
    """The same market (same seed) for REST: computing 1000 candles takes the simulator 0.2-0.6 s
    of CPU, which would stall the feed it also serves (Binance's klines do not stall its
    streams)."""
    with simulator(symbols=SYMBOL_COUNT, rate=1.0) as s:
        yield s


@pytest.fixture(scope="package")
def server(sim: Sim, history_sim: Sim) -> Iterator[Tracker]:
    """One instance with production's strictness: nobody exempt, no docs."""
    settings = {
        "CRYPTOTRACKER_LIMIT_EXEMPT_IPS": "",
        "CRYPTOTRACKER_SERVE_DOCS": "false",
        "CRYPTOTRACKER_BINANCE_REST_URL": history_sim.base,
        # Paced lower than production: each call costs the simulator's CPU on this machine.
        "CRYPTOTRACKER_CANDLE_UPSTREAM_PER_S": "2",
        "CRYPTOTRACKER_CANDLE_UPSTREAM_BURST": "5",
        # Short, so that attacks built on waiting (slow headers, sessions that never connect)
        # end within the test; production's are 10 s.
        "CRYPTOTRACKER_HTTP_HEADER_TIMEOUT_S": "2",
        "CRYPTOTRACKER_CONNECT_TIMEOUT_S": "2",
    }
    with tracker(sim, None, name="hostile-target", **settings) as t:
        wait_until(lambda: len(symbols_of(t)) >= SYMBOL_COUNT, 20, "the exchange's symbols")
        yield t
        assert "Traceback" not in t.proc.log()


@pytest.fixture
async def watcher(server: Tracker) -> AsyncIterator[Watcher]:
    w = Watcher(symbols_of(server)[:SYMBOL_COUNT], headers={"X-Forwarded-For": WATCHER_ADDRESS})
    try:
        await w.connect(server.url)
        await wait_live(w)
        yield w
    finally:
        await w.close()
