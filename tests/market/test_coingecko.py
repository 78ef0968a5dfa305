"""CoinGecko polling: mapping to <BASE>USDT, only moved prices, rate limits honoured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cryptotracker.market.binance_rest import RestError, retry_after_s
from cryptotracker.market.coingecko import COINGECKO_IDS, CoinGeckoProvider
from cryptotracker.protocol import PriceUpdate
from cryptotracker.settings import Settings
from tests.market.fake_exchange import FakeExchange
from tests.market.helpers import RecordingSink


@pytest.fixture
async def fake() -> AsyncIterator[FakeExchange]:
    async with FakeExchange().running() as exchange:
        yield exchange


def provider(fake: FakeExchange, sink: RecordingSink, **knobs: float) -> CoinGeckoProvider:
    settings = Settings(coingecko_calls_per_min=6000, backoff_jitter=0, **knobs)
    return CoinGeckoProvider(settings, sink, base_url=fake.coingecko_url, assets=["BTC", "ETH"])


def test_well_known_assets_map_to_coingecko_ids() -> None:
    assert COINGECKO_IDS["BTC"] == "bitcoin"
    assert COINGECKO_IDS["BNB"] == "binancecoin"
    assert COINGECKO_IDS["XRP"] == "ripple"
    assert len(set(COINGECKO_IDS.values())) == len(COINGECKO_IDS)


async def test_poll_emits_labelled_usdt_prices_only_when_they_move(
    fake: FakeExchange, sink: RecordingSink
) -> None:
    cg = provider(fake, sink)
    async with httpx.AsyncClient(base_url=cg.base_url) as client:
        assert await cg.poll_once(client) == 2
        assert await cg.poll_once(client) == 0  # nothing moved
        fake.coingecko_prices["bitcoin"] = 67200.01
        assert await cg.poll_once(client) == 1
    latest = sink.latest()
    assert set(latest) == {"BTCUSDT", "ETHUSDT"}
    assert latest["BTCUSDT"]["price"] == "67200.01"
    assert sink.sources() == {"coingecko"}
    for update in sink.prices:
        PriceUpdate.model_validate(update)
    query = parse_qs(urlsplit(fake.rest_calls[0]).query)
    assert query == {
        "vs_currency": ["usd"],
        "ids": ["bitcoin,ethereum"],
        "per_page": ["250"],
        "page": ["1"],
    }
    assert urlsplit(fake.rest_calls[0]).path == "/coingecko/api/v3/coins/markets"
    assert [s.symbol for s in cg.symbols()] == ["BTCUSDT", "ETHUSDT"]


async def test_rate_limited_poll_waits_at_least_retry_after(
    fake: FakeExchange, sink: RecordingSink
) -> None:
    fake.coingecko_status = 429
    cg = provider(fake, sink, coingecko_poll_s=1.0)
    async with httpx.AsyncClient(base_url=cg.base_url) as client:
        with pytest.raises(RestError) as caught:
            await cg.poll_once(client)
    assert (caught.value.status, caught.value.retry_after) == (429, 7.0)
    assert cg._failed(caught.value) >= 7.0
    assert cg.failures == 1
    assert not cg.state.connected


def test_failures_back_off_but_never_beyond_the_poll_interval() -> None:
    cg = CoinGeckoProvider(Settings(backoff_jitter=0, coingecko_poll_s=3.0), RecordingSink())
    delays = [cg._failed(RestError("down", status=500)) for _ in range(4)]
    assert delays == [1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("0", 0.0), (None, None), ("soon", None)],
)
def test_retry_after_header_in_seconds(header: str | None, expected: float | None) -> None:
    assert retry_after_s(header) == expected


def test_retry_after_http_date() -> None:
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
