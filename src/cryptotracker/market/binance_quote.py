"""One market's top of book and last trade from Binance's REST: `ticker/bookTicker` and the
newest of `aggTrades` (weights 2 and 4, from the feed's one budget), as a `QuoteDict`. The
parser is a pure function of the two answers."""

from __future__ import annotations

from typing import Any

import httpx

from cryptotracker.market.binance_rest import RestError, get_json
from cryptotracker.market.link import QuoteDict
from cryptotracker.market.request_weight import WEIGHTS, RequestWeight
from cryptotracker.protocol import DECIMAL_RE, Source


async def fetch_quote(
    client: httpx.AsyncClient, source: Source, budget: RequestWeight, symbol: str
) -> QuoteDict:
    """Both calls within `budget` (raises `RestError`)."""
    book = await get_json(
        client, "/api/v3/ticker/bookTicker", {"symbol": symbol}, budget,
        WEIGHTS["ticker/bookTicker"],
    )  # fmt: skip
    trades = await get_json(
        client, "/api/v3/aggTrades", {"symbol": symbol, "limit": 1}, budget, WEIGHTS["aggTrades"]
    )
    return parse_quote(book, trades, symbol, source)


def parse_quote(book: Any, trades: Any, symbol: str, source: Source) -> QuoteDict:
    """bookTicker `{bidPrice, askPrice}` and aggTrades `[{p, T}]` (an empty list: no trade
    yet); a zero bid or ask (an empty side of the book) is None."""
    if not isinstance(book, dict) or not isinstance(trades, list):
        raise RestError("quote: unexpected answer shape")
    last: str | None = None
    at: int | None = None
    if trades:
        trade = trades[-1]
        if not isinstance(trade, dict) or type(trade.get("T")) is not int:
            raise RestError("quote: aggTrades row without a time")
        last = _decimal(trade.get("p"), "p")
        at = trade["T"]
    return {
        "symbol": symbol,
        "source": source.value,
        "bid": _side(book.get("bidPrice")),
        "ask": _side(book.get("askPrice")),
        "last": last,
        "lastTradeTime": at,
    }


def _decimal(value: object, name: str) -> str:
    if not isinstance(value, str) or not DECIMAL_RE.match(value):
        raise RestError(f"quote: {name} is not a decimal string")
    return value


def _side(value: object) -> str | None:
    price = _decimal(value, "book price")
    return None if not price.strip("0.") else price
