"""pytest fixtures that run the market simulator in the test's event loop, on a free port."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from cryptotracker.simulator.server import SimConfig, Simulator

SimulatorFactory = Callable[..., Awaitable[Simulator]]


def sim_config(**knobs: Any) -> SimConfig:
    """The tests' market (40 symbols, 400 trades/s, seed 7) with `knobs` changed."""
    return SimConfig(**{"symbols": 40, "rate": 400.0, "seed": 7, **knobs})


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    """A 40-symbol market at 400 trades/s, fixed seed, real socket (tests add their faults)."""
    async with Simulator(sim_config()).running() as sim:
        yield sim


@pytest.fixture
async def simulator_factory() -> AsyncIterator[SimulatorFactory]:
    """`await simulator_factory(**knobs)` starts a simulator of `sim_config(**knobs)`; every one
    started stops when the test ends."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(**knobs: Any) -> Simulator:
            return await stack.enter_async_context(Simulator(sim_config(**knobs)).running())

        yield start
