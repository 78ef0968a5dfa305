"""Fixtures of the market tests."""

from __future__ import annotations

import pytest

from cryptotracker.simulator.server import Simulator
from tests.market.helpers import FAST_MARKET, RecordingSink
from tests.simulator.fixtures import SimulatorFactory


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
async def sim(simulator_factory: SimulatorFactory) -> Simulator:
    """The simulator over a real socket, its market ten times faster than Binance's pushes."""
    return await simulator_factory(**FAST_MARKET)
