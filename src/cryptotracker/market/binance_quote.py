"""One market's top of book and last trade from Binance's REST: `ticker/bookTicker` and the
newest of `aggTrades` (weights 2 and 4, from the feed's one budget, through its hosts), as a
`QuoteDict`. The parser is a pure function of the two answers."""

from __future__ import annotations

from typing import Any

from cryptotracker.market.binance_rest import BinanceRest, RestError
from cryptotracker.market.link import QuoteDict
from cryptotracker.protocol import DECIMAL_RE, Source


async def fetch_quote(rest: BinanceRest, source: Source, symbol: str) -> QuoteDict:
    """Both calls (raises `RestError`)."""
    book = await rest.book_ticker(symbol)
    trades = await rest.agg_trades(symbol, 1)
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
