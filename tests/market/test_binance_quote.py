"""Binance's quote (market/binance_quote.py, BinanceProvider.quote): the book ticker and the
newest aggregate trade from REST, within the feed's weight budget."""

from __future__ import annotations

import asyncio
import time

import pytest

from cryptotracker.market.binance import BinanceProvider
from cryptotracker.market.binance_quote import parse_quote
from cryptotracker.market.binance_rest import RestError
from cryptotracker.protocol import Source
from cryptotracker.settings import Settings
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.server import Simulator
from tests.market.helpers import FAST, RecordingSink

# The documented answers (Binance's "Symbol order book ticker" and "Compressed/Aggregate trades
# list"), abridged to one row.
BOOK = {
    "symbol": "LTCBTC",
    "bidPrice": "4.00000000",
    "bidQty": "431.00000000",
    "askPrice": "4.00000200",
    "askQty": "9.00000000",
}
TRADES = [
    {
        "a": 26129,
        "p": "0.01633102",
        "q": "4.70443515",
        "f": 27781,
        "l": 27781,
        "T": 1498793709153,
        "m": True,
        "M": True,
    }
]


def test_a_quote_is_the_book_and_the_newest_trade_as_decimal_strings() -> None:
    assert parse_quote(BOOK, TRADES, "LTCBTC", Source.BINANCE) == {
        "symbol": "LTCBTC",
        "source": "binance",
        "bid": "4.00000000",
        "ask": "4.00000200",
        "last": "0.01633102",
        "lastTradeTime": 1498793709153,
    }


def test_an_empty_side_of_the_book_and_no_trade_yet_are_unknown() -> None:
    book = {**BOOK, "bidPrice": "0.00000000"}
    quote = parse_quote(book, [], "LTCBTC", Source.BINANCE)
    assert (quote["bid"], quote["ask"], quote["last"], quote["lastTradeTime"]) == (
        None,
        "4.00000200",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("book", "trades"),
    [
        ([], TRADES),
        (BOOK, {}),
        ({**BOOK, "askPrice": 4.2}, TRADES),
        (BOOK, [{**TRADES[0], "T": "soon"}]),
        (BOOK, [{**TRADES[0], "p": "1e5"}]),
    ],
)
def test_a_malformed_answer_is_a_rest_error(book: object, trades: object) -> None:
    with pytest.raises(RestError):
        parse_quote(book, trades, "LTCBTC", Source.BINANCE)


async def test_the_provider_quotes_a_market_from_rest_within_its_budget(
    sim: Simulator,
) -> None:
    provider = BinanceProvider(
        Settings(**FAST), RecordingSink(), ws_url=sim.ws_url, rest_url=sim.rest_url
    )
    # A simulator just started may not have traded BTCUSDT yet: ask until it has.
    deadline = time.monotonic() + 5
    while True:
        before = provider.weight.used
        quote = await provider.quote("BTCUSDT")
        assert provider.weight.used - before == 6  # bookTicker 2 + aggTrades 4
        if quote["lastTradeTime"] is not None or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert quote["symbol"] == "BTCUSDT" and quote["source"] == "binance"
    assert quote["bid"] is not None and quote["ask"] is not None
    assert float(quote["bid"]) < float(quote["ask"])
    assert quote["lastTradeTime"] is not None and quote["last"] is not None

    sim.faults.http["rest"] = HttpFault(451)
    with pytest.raises(RestError, match="HTTP 451"):
        await provider.quote("BTCUSDT")
