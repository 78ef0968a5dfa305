"""CoinGecko's /exchange_rates read as decimals: fiat rows only, digits as CoinGecko wrote them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cryptotracker.market.coingecko_rates import RatesFormatError, parse_exchange_rates

FIXTURES = Path(__file__).parents[1] / "fixtures" / "coingecko"


def test_fiat_rows_are_read_as_the_decimals_coingecko_wrote() -> None:
    rates = parse_exchange_rates((FIXTURES / "ours_exchange_rates_fiat.json").read_bytes())
    assert rates == {
        "USD": Decimal("95012.5"),
        "EUR": Decimal("87962.33"),
        "GBP": Decimal("74810.01"),
        "JPY": Decimal("14346887.5"),
        "VND": Decimal("2412367511"),
    }  # crypto (btc, eth, sats, bits) and commodities (xau) are not currencies to show


def test_the_documented_example_holds_no_currency_to_show() -> None:
    # CoinGecko's page shows crypto rows only (btc, eth, ltc, ...): none is a fiat currency.
    assert parse_exchange_rates((FIXTURES / "exchange_rates.json").read_bytes()) == {}


@pytest.mark.parametrize(
    "row",
    [
        {"value": 0, "type": "fiat"},
        {"value": -3.5, "type": "fiat"},
        {"value": "95000", "type": "fiat"},
        {"value": None, "type": "fiat"},
        "not a row",
    ],
)
def test_a_row_without_a_positive_number_is_left_out(row: object) -> None:
    import orjson

    body = orjson.dumps({"rates": {"usd": {"value": 1.5, "type": "fiat"}, "eur": row}})
    assert parse_exchange_rates(body) == {"USD": Decimal("1.5")}


@pytest.mark.parametrize("body", [b"", b"[]", b'{"error": "rate limited"}', b"{not json"])
def test_a_body_without_rates_is_an_error(body: bytes) -> None:
    with pytest.raises(RatesFormatError):
        parse_exchange_rates(body)


async def test_the_poller_reads_over_http_and_retries_a_failure() -> None:
    """A real socket: a server that fails once, then answers with the fiat fixture; the poller
    hands each good reading on, dated when it arrived."""
    import asyncio
    import contextlib

    from cryptotracker.clock import now_ms
    from cryptotracker.market.coingecko_rates import CoinGeckoRates
    from cryptotracker.settings import Settings
    from tests.support import wait_for

    body = (FIXTURES / "ours_exchange_rates_fiat.json").read_bytes()
    paths: list[str] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        paths.append(head.split(b" ")[1].decode())
        ok = len(paths) > 1
        status, payload = (b"200 OK", body) if ok else (b"500 Internal Server Error", b"{}")
        head = b"HTTP/1.1 %s\r\nContent-Type: application/json\r\n" % status
        head += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(payload)
        writer.write(head + payload)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    readings: list[tuple[dict[str, Decimal], int, str]] = []
    settings = Settings(
        coingecko_url=f"http://127.0.0.1:{port}/api/v3", backoff_base_ms=20, backoff_max_ms=50
    )
    poller = CoinGeckoRates(settings, lambda *reading: readings.append(reading))
    started = now_ms()
    async with server:
        task = asyncio.create_task(poller.run())
        try:
            await wait_for(lambda: bool(readings), 10, "a reading after the failure")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    per_btc, at, url = readings[0]
    assert url == settings.coingecko_url
    assert paths[:2] == ["/api/v3/exchange_rates"] * 2
    assert per_btc["EUR"] == Decimal("87962.33") and started <= at <= now_ms()
