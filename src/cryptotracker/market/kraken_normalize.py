"""Kraken's rows in the shapes `normalize.MarketState` merges (Binance's `MiniTicker` and
`AggTrade`), and its candles as `CandleDict`s, exact to the digit.

Decisions:
- The 24 h open is ``last - change`` (v2 ``change`` is over 24 h), so ``priceChangePercent``
  comes out of `MarketState` like every other source's, from exact decimals.
- ``volume24h`` is the quote volume: Kraken gives the base volume and the 24 h VWAP, and
  ``volume * vwap`` is that day's quote volume (computed with 60-digit decimals: exact).
- REST `Ticker` has no 24 h open, only today's (since 00:00 UTC): the start-up snapshot uses it
  until the stream's first ticker replaces it, usually within the first second.
- Candle ``volume`` is the base volume; a candle is closed once its span has passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Context, Decimal, InvalidOperation
from typing import Any, Final

from cryptotracker.market.binance_frames import AggTrade, MiniTicker
from cryptotracker.market.kraken_frames import Candle, Ticker, Trade
from cryptotracker.market.normalize import MarketState
from cryptotracker.protocol import DECIMAL_RE, CandleDict, PriceDict, Source

# Wide enough that a product of two exchange decimals is never rounded.
_CTX: Final = Context(prec=60)
MINUTE_MS: Final = 60_000
# Our candle intervals in Kraken's minutes: Kraken has every one of them (1, 5, 15, 60, 240,
# 1440 among its 1, 5, 15, 30, 60, 240, 1440, 10080, 21600), so none is built from smaller ones.
INTERVAL_MINUTES: Final = {"1m": 1, "5m": 5, "15m": 15, "1h": 60, "4h": 240, "1d": 1440}
INTERVAL_NAMES: Final = {m: name for name, m in INTERVAL_MINUTES.items()}


class KrakenNormalizeError(ValueError):
    """A Kraken row that cannot become a wire model."""


def _text(d: Decimal) -> str:
    text = format(d, "f")
    return "0" if text in ("-0", "-0.0") else text


def _open_24h(last: str, change: str) -> str:
    return _text(_CTX.subtract(Decimal(last), Decimal(change)))


def quote_volume(volume: str, vwap: str) -> str:
    """Base volume times VWAP: the quote volume, exactly."""
    return _text(_CTX.multiply(Decimal(volume), Decimal(vwap)))


def ticker_to_mini(row: Ticker, symbol: str, time_ms: int) -> MiniTicker:
    """A v2 ticker row under our `symbol`, stamped `time_ms` when it carries no timestamp."""
    return MiniTicker(
        symbol,
        row.last,
        _open_24h(row.last, row.change),
        row.high,
        row.low,
        row.volume,
        quote_volume(row.volume, row.vwap),
        row.time_ms if row.time_ms is not None else time_ms,
    )


def trade_to_agg(row: Trade, symbol: str, received_ms: int) -> AggTrade:
    return AggTrade(symbol, row.price, row.qty, row.time_ms, max(received_ms, row.time_ms))


def apply_tickers(
    market: MarketState, ours: Mapping[str, str], rows: Iterable[Ticker], time_ms: int
) -> list[PriceDict]:
    """Ticker rows of listed pairs (v2 name -> our symbol in `ours`) merged into `market`:
    the updates to emit."""
    minis = []
    for row in rows:
        symbol = ours.get(row.symbol)
        if symbol is not None:
            minis.append(ticker_to_mini(row, symbol, time_ms))
    return market.apply_mini_tickers(minis)


def apply_trades(
    market: MarketState, ours: Mapping[str, str], rows: Iterable[Trade], received_ms: int
) -> list[PriceDict]:
    """Trades of listed pairs merged into `market` (older than its price: dropped)."""
    out = []
    for row in rows:
        symbol = ours.get(row.symbol)
        if symbol is not None:
            price = market.apply_trade(trade_to_agg(row, symbol, received_ms))
            if price is not None:
                out.append(price)
    return out


def candle_to_dict(row: Candle, symbol: str, now_ms: int, source: Source) -> CandleDict:
    span = row.interval * MINUTE_MS
    close_time = row.open_time + span - 1
    return {
        "symbol": symbol,
        "interval": INTERVAL_NAMES.get(row.interval, f"{row.interval}m"),
        "openTime": row.open_time,
        "closeTime": close_time,
        "open": row.open,
        "high": row.high,
        "low": row.low,
        "close": row.close,
        "volume": row.volume,
        "closed": close_time < now_ms,
        "source": source.value,
    }


class CandleCloser:
    """Kraken's ``ohlc`` channel updates the forming candle and never sends it again once its
    interval is over. The first update of the next interval hands the last one on, closed
    (what downstream keeps as history); older rows (a snapshot) pass as they are."""

    __slots__ = ("_forming",)

    def __init__(self) -> None:
        self._forming: dict[tuple[str, str], CandleDict] = {}

    def seen(self, candle: CandleDict) -> list[CandleDict]:
        """The candles to hand on for this one, in order."""
        key = (candle["symbol"], candle["interval"])
        last = self._forming.get(key)
        if last is None or candle["openTime"] >= last["openTime"]:
            self._forming[key] = candle
        if last is None or candle["openTime"] <= last["openTime"] or last["closed"]:
            return [candle]
        return [{**last, "closed": True}, candle]

    def keep(self, wanted: Iterable[tuple[str, str]]) -> None:
        """Forget the candles of streams no longer demanded."""
        keys = set(wanted)
        for key in [k for k in self._forming if k not in keys]:
            del self._forming[key]


# ---- REST -----------------------------------------------------------------------------------


def _dec_str(value: object, what: str) -> str:
    if not isinstance(value, str) or DECIMAL_RE.match(value) is None:
        raise KrakenNormalizeError(f"{what}: not a decimal string: {value!r}")
    return value


def _pair(value: object, index: int, what: str) -> str:
    if not isinstance(value, list) or len(value) <= index:
        raise KrakenNormalizeError(f"{what}: not a list: {value!r}")
    return _dec_str(value[index], what)


def rest_ticker_to_mini(row: Mapping[str, Any], symbol: str, time_ms: int) -> MiniTicker:
    """One REST `Ticker` entry: c[0] last, o today's open, h/l/v/p[1] the last 24 hours."""
    last = _pair(row.get("c"), 0, "c")
    volume = _pair(row.get("v"), 1, "v")
    vwap = _pair(row.get("p"), 1, "p")
    return MiniTicker(
        symbol,
        last,
        _dec_str(row.get("o"), "o"),
        _pair(row.get("h"), 1, "h"),
        _pair(row.get("l"), 1, "l"),
        volume,
        quote_volume(volume, vwap),
        time_ms,
    )


def rest_ohlc_to_candles(
    rows: object, symbol: str, interval: str, now_ms: int, source: Source
) -> list[CandleDict]:
    """REST `OHLC` rows ``[time s, open, high, low, close, vwap, volume, count]``."""
    if not isinstance(rows, list):
        raise KrakenNormalizeError(f"OHLC: expected a list, got {type(rows).__name__}")
    span = INTERVAL_MINUTES[interval] * MINUTE_MS
    out: list[CandleDict] = []
    for row in rows:
        if not isinstance(row, list) or len(row) < 7 or type(row[0]) is not int:
            raise KrakenNormalizeError(f"OHLC row: {row!r}")
        open_time = row[0] * 1000
        out.append(
            {
                "symbol": symbol,
                "interval": interval,
                "openTime": open_time,
                "closeTime": open_time + span - 1,
                "open": _dec_str(row[1], "open"),
                "high": _dec_str(row[2], "high"),
                "low": _dec_str(row[3], "low"),
                "close": _dec_str(row[4], "close"),
                "volume": _dec_str(row[6], "volume"),
                "closed": open_time + span - 1 < now_ms,
                "source": source.value,
            }
        )
    return out


def seconds_to_ms(value: object) -> int:
    """A REST time in seconds, an int or a fraction as its exact text, as milliseconds."""
    if type(value) is int:
        return value * 1000
    try:
        return int(Decimal(str(value)) * 1000)
    except InvalidOperation:
        raise KrakenNormalizeError(f"not a time: {value!r}") from None


def top_of_book(book: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Best bid and ask of a REST `Depth` entry (None for an empty side)."""
    sides: list[str | None] = []
    for side in ("bids", "asks"):
        levels: Sequence[Any] = book.get(side) or []
        sides.append(_pair(levels[0], 0, side) if levels else None)
    return sides[0], sides[1]
