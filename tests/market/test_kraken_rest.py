"""Kraken's REST client against the simulator: one pace for every call, at most a few waiting,
Kraken's error envelope read as limited or unavailable."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from cryptotracker.market.kraken_rest import MAX_WAITING, KrakenRest, KrakenRestError
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.kraken import KrakenSimConfig, KrakenSimulator


@pytest.fixture
async def ksim() -> AsyncIterator[KrakenSimulator]:
    config = KrakenSimConfig(symbols=10, rate=50.0, seed=3, rest_calls_per_window=1000)
    async with KrakenSimulator(config).running() as sim:
        yield sim


async def test_calls_beyond_those_waiting_are_refused_not_queued(ksim: KrakenSimulator) -> None:
    async with httpx.AsyncClient(base_url=ksim.rest_url) as client:
        rest = KrakenRest(client, calls_per_s=20.0)
        results = await asyncio.gather(
            *(rest.depth("XBTUSDT") for _ in range(3 + MAX_WAITING + 2)), return_exceptions=True
        )
    refused = [r for r in results if isinstance(r, KrakenRestError)]
    assert len(refused) == 2
    assert all("already waiting" in str(r) and r.limited for r in refused)
    assert ksim.rest_calls["Depth"] == 3 + MAX_WAITING


async def test_error_envelopes_are_classified(ksim: KrakenSimulator) -> None:
    async with httpx.AsyncClient(base_url=ksim.rest_url) as client:
        rest = KrakenRest(client, calls_per_s=50.0)
        ksim.rest_errors.append("EService:Unavailable")
        with pytest.raises(KrakenRestError, match="EService:Unavailable") as unavailable:
            await rest.tickers()
        assert unavailable.value.unavailable and not unavailable.value.limited
        with pytest.raises(KrakenRestError, match="Unknown asset pair") as unknown:
            await rest.ohlc("NOPE", 5)
        assert not unknown.value.unavailable and not unknown.value.limited
        ksim.faults.http["rest"] = HttpFault(429, 1, 2.0)
        with pytest.raises(KrakenRestError, match="HTTP 429") as limited:
            await rest.tickers()
        assert limited.value.limited and limited.value.retry_after == 2.0
        with pytest.raises(KrakenRestError, match="not sent"):
            await rest.tickers()
        assert ksim.rest_calls["Ticker"] == 2
