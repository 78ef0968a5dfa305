"""The wiring app.py owns, where a test of the part alone cannot see it."""

from __future__ import annotations

from cryptotracker.app import Tracker
from cryptotracker.market.connect_budget import LocalConnectBudget
from cryptotracker.market.sources import SourceChain
from cryptotracker.pipeline.connect_budget import SharedConnectBudget
from cryptotracker.settings import Settings


async def test_binances_connection_attempts_are_shared_through_redis_when_it_is_configured(
    redis_url: str,
) -> None:
    for redis, expected in ((redis_url, SharedConnectBudget), (None, LocalConnectBudget)):
        tracker = Tracker(Settings(redis_url=redis, binance_connects_per_5min=123))
        try:
            chain = tracker.exchange
            assert isinstance(chain, SourceChain) and chain.binance is not None
            budget = chain.binance.connect_budget
            assert isinstance(budget, expected)
            assert budget.limit == 123
        finally:
            await tracker.close()
