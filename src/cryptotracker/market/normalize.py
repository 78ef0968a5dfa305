"""Turn exchange rows into the wire shapes (`PriceDict`, `CandleDict`) without losing a digit.

Decisions, pinned by tests/market/test_normalize.py:

- Prices and volumes stay the exchange's decimal strings, copied through untouched, so
  "0.00001234" and "98765432101.12345678" reach the browser exactly. No float ever holds them.
- ``priceChangePercent`` is ``(price / open - 1) * 100`` computed with `decimal.Decimal` (exact
  inputs, 50 significant digits) and written with exactly two decimal places, rounded half-up
  ("-95.96", "150.00"). ``price`` is the latest known price (an aggTrade newer than the last
  miniTicker wins), so the percentage always agrees with the price shown beside it. An open of 0
  (a market with no trade in 24 h) gives "0.00" rather than a division by zero.
- ``volume24h`` is the 24 h *quote* volume (USDT for USDT markets: miniTicker ``q``, REST
  ``quoteVolume``), comparable across markets and with CoinGecko's ``total_volume`` (USD).
  Candle ``volume`` is the base-asset volume, as charts show it.
- ``lastUpdateTime`` is the exchange event time (ms) of the newest event behind the values.
- CoinGecko sends JSON floats; a float becomes the decimal string of its shortest repr
  (``repr(0.1) == "0.1"``), never its binary expansion, and never in exponent form.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from cryptotracker.market.binance_frames import AggTrade, Kline, MiniTicker
from cryptotracker.protocol import DECIMAL_RE, CandleDict, PriceDict, Source

_CTX = Context(prec=50, rounding=ROUND_HALF_UP)
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_ZERO_PERCENT = "0.00"


class NormalizeError(ValueError):
    """A row that cannot become a wire model (missing field, wrong type, not a number)."""


def percent_change(open_: str, price: str) -> str:
    """``(price / open - 1) * 100`` as a decimal string with two places; "0.00" when open is 0.

    Computed as ``(price - open) * 100 / open``: the subtraction and product are exact, the
    division is the only rounding (50 digits) before the final half-up to two places."""
    try:
        o = Decimal(open_)
        if not o:
            return _ZERO_PERCENT
        value = _CTX.divide(_CTX.multiply(_CTX.subtract(Decimal(price), o), _HUNDRED), o)
        text = format(value.quantize(_CENT, context=_CTX), "f")
    except InvalidOperation as exc:
        raise NormalizeError(f"not a decimal: open={open_!r} price={price!r}") from exc
    return _ZERO_PERCENT if text == "-0.00" else text


def decimal_from_float(value: object) -> str:
    """A JSON number (CoinGecko) as a plain decimal string from its shortest repr."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NormalizeError(f"not a number: {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise NormalizeError(f"not a finite number: {value!r}")
    text = format(Decimal(repr(value)), "f")
    return "0" if text in ("-0", "-0.0") else text


def percent_from_float(value: object) -> str:
    """A float percentage as a two-place decimal string (CoinGecko's 24 h change)."""
    exact = Decimal(decimal_from_float(value))
    text = format(exact.quantize(_CENT, context=_CTX), "f")
    return _ZERO_PERCENT if text == "-0.00" else text


def _decimal_str(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or DECIMAL_RE.match(value) is None:
        raise NormalizeError(f"{key}: not a decimal string: {value!r}")
    return value


def _int(row: Mapping[str, Any], key: str) -> int:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise NormalizeError(f"{key}: not an integer: {value!r}")
    return value


def _str(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise NormalizeError(f"{key}: not a string: {value!r}")
    return value


# ---- per-symbol snapshot --------------------------------------------------------------------


@dataclass(slots=True)
class _Market:
    """What we know of one market. `price_time` orders price sources (trade vs ticker),
    `stats_time` the 24 h statistics (stream vs REST snapshot), `time` is the newest of all."""

    price: str
    price_time: int
    open: str
    high: str
    low: str
    volume: str
    stats_time: int
    time: int
    # priceChangePercent of (pct_open, pct_price): trades often repeat the last price.
    pct: str = ""
    pct_open: str = ""
    pct_price: str = ""

    def percent(self) -> str:
        if self.pct_price != self.price or self.pct_open != self.open or not self.pct:
            self.pct = percent_change(self.open, self.price)
            self.pct_open, self.pct_price = self.open, self.price
        return self.pct


class MarketState:
    """The latest 24 h statistics and last price of every market of one source.

    `!miniTicker@arr` carries only the symbols that changed, so each row is merged into the
    snapshot; `<sym>@aggTrade` moves the last price of a subscribed symbol in between. Every
    `apply_*` returns the `PriceDict`s to emit (new dicts: the sink may keep them).
    """

    __slots__ = ("_allowed", "_markets", "_source")

    def __init__(self, source: Source, allowed: frozenset[str] | None = None) -> None:
        self._source = source.value
        self._markets: dict[str, _Market] = {}
        self._allowed = allowed

    def restrict(self, allowed: frozenset[str] | None) -> None:
        """Keep only these symbols (the listed markets); None keeps every symbol."""
        self._allowed = allowed
        if allowed is not None:
            for symbol in [s for s in self._markets if s not in allowed]:
                del self._markets[symbol]

    def __len__(self) -> int:
        return len(self._markets)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._markets

    def _emit(self, symbol: str, m: _Market) -> PriceDict:
        return {
            "symbol": symbol,
            "price": m.price,
            "priceChangePercent": m.percent(),
            "high24h": m.high,
            "low24h": m.low,
            "volume24h": m.volume,
            "lastUpdateTime": m.time,
            "source": self._source,
        }

    def _merge(
        self, symbol: str, price: str, open_: str, high: str, low: str, volume: str, time: int
    ) -> PriceDict:
        m = self._markets.get(symbol)
        if m is None:
            m = self._markets[symbol] = _Market(price, time, open_, high, low, volume, time, time)
        else:
            if time >= m.price_time:
                m.price = price
                m.price_time = time
            if time >= m.stats_time:  # an older REST snapshot must not undo the stream
                m.open, m.high, m.low, m.volume = open_, high, low, volume
                m.stats_time = time
            if time > m.time:
                m.time = time
        return self._emit(symbol, m)

    def apply_mini_tickers(self, rows: Iterable[MiniTicker]) -> list[PriceDict]:
        merge = self._merge
        allowed = self._allowed
        return [
            merge(r.symbol, r.close, r.open, r.high, r.low, r.quote_volume, r.event_time)
            for r in rows
            if allowed is None or r.symbol in allowed
        ]

    def apply_trade(self, trade: AggTrade) -> PriceDict | None:
        """None until the market's 24 h statistics are known (they arrive within a second)."""
        m = self._markets.get(trade.symbol)
        if m is None:
            return None
        when = trade.trade_time
        if when < m.price_time:
            return None  # older than what we show
        m.price = trade.price
        m.price_time = when
        if trade.event_time > m.time:
            m.time = trade.event_time
        return self._emit(trade.symbol, m)

    def apply_ticker_24hr(self, rows: Sequence[Mapping[str, Any]]) -> list[PriceDict]:
        """Seed from REST `/api/v3/ticker/24hr` (start-up snapshot); bad rows are skipped."""
        out: list[PriceDict] = []
        allowed = self._allowed
        for row in rows:
            try:
                fields = _ticker_24hr_fields(row)
            except NormalizeError:
                continue
            if allowed is None or fields[0] in allowed:
                out.append(self._merge(*fields))
        return out

    def get(self, symbol: str) -> PriceDict | None:
        m = self._markets.get(symbol)
        return None if m is None else self._emit(symbol, m)

    def snapshot(self) -> list[PriceDict]:
        return [self._emit(symbol, m) for symbol, m in self._markets.items()]


def _ticker_24hr_fields(row: Mapping[str, Any]) -> tuple[str, str, str, str, str, str, int]:
    return (
        _str(row, "symbol"),
        _decimal_str(row, "lastPrice"),
        _decimal_str(row, "openPrice"),
        _decimal_str(row, "highPrice"),
        _decimal_str(row, "lowPrice"),
        _decimal_str(row, "quoteVolume"),
        _int(row, "closeTime"),
    )


def ticker_24hr_to_price(row: Mapping[str, Any], source: Source) -> PriceDict:
    """One REST `/api/v3/ticker/24hr` row as a `PriceDict`."""
    symbol, price, open_, high, low, volume, time = _ticker_24hr_fields(row)
    return {
        "symbol": symbol,
        "price": price,
        "priceChangePercent": percent_change(open_, price),
        "high24h": high,
        "low24h": low,
        "volume24h": volume,
        "lastUpdateTime": time,
        "source": source.value,
    }


def mini_ticker_to_price(row: MiniTicker, source: Source) -> PriceDict:
    """One miniTicker event on its own (no merge with trades)."""
    return {
        "symbol": row.symbol,
        "price": row.close,
        "priceChangePercent": percent_change(row.open, row.close),
        "high24h": row.high,
        "low24h": row.low,
        "volume24h": row.quote_volume,
        "lastUpdateTime": row.event_time,
        "source": source.value,
    }


# ---- candles --------------------------------------------------------------------------------


def kline_to_candle(event: Kline, source: Source) -> CandleDict:
    return {
        "symbol": event.symbol,
        "interval": event.interval,
        "openTime": event.open_time,
        "closeTime": event.close_time,
        "open": event.open,
        "high": event.high,
        "low": event.low,
        "close": event.close,
        "volume": event.volume,
        "closed": event.closed,
        "source": source.value,
    }


def rest_kline_to_candle(
    row: Sequence[Any], symbol: str, interval: str, source: Source, now_ms: int
) -> CandleDict:
    """One REST `/api/v3/klines` row ``[t, o, h, l, c, v, T, ...]``; closed once T is past."""
    if not isinstance(row, list | tuple) or len(row) < 7:
        raise NormalizeError(f"kline row too short: {row!r}")
    fields = dict(zip(("t", "o", "h", "l", "c", "v", "T"), row[:7], strict=True))
    close_time = _int(fields, "T")
    return {
        "symbol": symbol,
        "interval": interval,
        "openTime": _int(fields, "t"),
        "closeTime": close_time,
        "open": _decimal_str(fields, "o"),
        "high": _decimal_str(fields, "h"),
        "low": _decimal_str(fields, "l"),
        "close": _decimal_str(fields, "c"),
        "volume": _decimal_str(fields, "v"),
        "closed": close_time < now_ms,
        "source": source.value,
    }


def rest_klines_to_candles(
    rows: object, symbol: str, interval: str, source: Source, now_ms: int
) -> list[CandleDict]:
    if not isinstance(rows, list):
        raise NormalizeError(f"klines: expected a list, got {type(rows).__name__}")
    return [rest_kline_to_candle(row, symbol, interval, source, now_ms) for row in rows]


# ---- CoinGecko ------------------------------------------------------------------------------


def _iso_ms(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value).timestamp() * 1000)
    except ValueError:
        return None


def coingecko_to_price(row: Mapping[str, Any], symbol: str, now_ms: int) -> PriceDict:
    """One `/coins/markets` row (floats) as a `PriceDict` labelled coingecko.

    A missing 24 h high/low (CoinGecko sends null for thin markets) falls back to the price;
    a missing change or volume to 0.
    """
    price = decimal_from_float(row.get("current_price"))
    high = row.get("high_24h")
    low = row.get("low_24h")
    change = row.get("price_change_percentage_24h")
    volume = row.get("total_volume")
    return {
        "symbol": symbol,
        "price": price,
        "priceChangePercent": _ZERO_PERCENT if change is None else percent_from_float(change),
        "high24h": price if high is None else decimal_from_float(high),
        "low24h": price if low is None else decimal_from_float(low),
        "volume24h": "0" if volume is None else decimal_from_float(volume),
        "lastUpdateTime": _iso_ms(row.get("last_updated")) or now_ms,
        "source": Source.COINGECKO.value,
    }
