"""pytest fixtures that run the market simulator in the test's event loop, on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cryptotracker.simulator.server import SimConfig, Simulator


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    """A 40-symbol market at 400 trades/s, fixed seed, real socket (tests add their faults)."""
    async with Simulator(SimConfig(symbols=40, rate=400.0, seed=7)).running() as sim:
        yield sim
