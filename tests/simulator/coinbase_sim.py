"""The Coinbase simulator over a real socket, for the simulator's and the provider's tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from cryptotracker.simulator.coinbase import CoinbaseSimConfig, CoinbaseSimulator


@contextlib.asynccontextmanager
async def coinbase_sim(**knobs: Any) -> AsyncIterator[CoinbaseSimulator]:
    """A 40-market simulator at 400 trades/s, seed 7, heartbeats ten times a second (Coinbase:
    once), so the watchdog's silence bound and every test stay short; `knobs` change it."""
    config = CoinbaseSimConfig(**{"symbols": 40, "rate": 400.0, "seed": 7, "heartbeat_s": 0.1,
                                  **knobs})  # fmt: skip
    async with CoinbaseSimulator(config).running() as sim:
        yield sim
