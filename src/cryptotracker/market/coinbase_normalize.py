"""Coinbase Exchange's rows as the wire shapes, without losing a digit.

Decisions, pinned by tests/market/test_coinbase_normalize.py:

- A `ticker` becomes the row `MarketState` merges for Binance's miniTicker, and a `match` its
  aggTrade, so both exchanges share one snapshot logic (a trade older than the price shown is
  not shown; the percentage is computed the same way).
- ``volume24h`` is the 24 h *quote* volume; Coinbase states the base volume only (ticker
  ``volume_24h``, stats ``volume``), so it is base volume x last price, computed with
  `decimal.Decimal` (an estimate: the true figure would need every trade of the day).
- Candle rows (`GET /products/{id}/candles`) are JSON *numbers* ``[time, low, high, open, close,
  volume]`` (their order is not documented; sorted here): they are read from the JSON text as
  decimals (never float) and handed on oldest first. Coinbase has no 4 h granularity: 4 h
  candles are built from 1 h ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Context, Decimal, InvalidOperation
from typing import Any, Final

from cryptotracker.market.binance_frames import AggTrade, MiniTicker
from cryptotracker.market.coinbase_frames import Match, Ticker, iso_ms
from cryptotracker.market.normalize import NormalizeError
from cryptotracker.protocol import DECIMAL_RE, CandleDict, Source

_CTX = Context(prec=50)
HOUR_S: Final = 3600
# Our intervals -> (Coinbase granularity in seconds, how many of them make one of ours).
GRANULARITY: Final[dict[str, tuple[int, int]]] = {
    "1m": (60, 1),
    "5m": (300, 1),
    "15m": (900, 1),
    "1h": (3600, 1),
    "4h": (3600, 4),
    "1d": (86400, 1),
}
INTERVAL_S: Final[dict[str, int]] = {k: g * n for k, (g, n) in GRANULARITY.items()}


def quote_volume(base_volume: str, price: str) -> str:
    """Base volume x price as a plain decimal string (exact product, no exponent)."""
    try:
        value = _CTX.multiply(Decimal(base_volume), Decimal(price))
    except InvalidOperation as exc:
        raise NormalizeError(f"not a decimal: {base_volume!r} x {price!r}") from exc
    return format(value.normalize(_CTX), "f") if value else "0"


def ticker_row(t: Ticker, symbol: str) -> MiniTicker:
    return MiniTicker(
        symbol,
        t.price,
        t.open_24h,
        t.high_24h,
        t.low_24h,
        t.volume_24h,
        quote_volume(t.volume_24h, t.price),
        t.time_ms,
    )


def match_trade(m: Match, symbol: str) -> AggTrade:
    return AggTrade(symbol, m.price, m.size, m.time_ms, m.time_ms)


def _dec(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or DECIMAL_RE.match(value) is None:
        raise NormalizeError(f"{key}: not a decimal string: {value!r}")
    return value


def rest_snapshot_row(
    symbol: str, stats: Mapping[str, Any], ticker: Mapping[str, Any]
) -> MiniTicker:
    """`/stats` (24 h open, high, low, base volume) and `/ticker` (last price and its time)."""
    price = _dec(ticker, "price")
    try:
        time_ms = iso_ms(ticker.get("time"))
    except ValueError as exc:
        raise NormalizeError(str(exc)) from exc
    volume = _dec(stats, "volume")
    return MiniTicker(
        symbol,
        price,
        _dec(stats, "open"),
        _dec(stats, "high"),
        _dec(stats, "low"),
        volume,
        quote_volume(volume, price),
        time_ms,
    )


# ---- candles --------------------------------------------------------------------------------


def _number(value: object) -> str:
    """A candle cell read as text (`parse_float=str`) or int, as a plain decimal string."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise NormalizeError(f"not a number: {value!r}")
    try:
        text = format(Decimal(value), "f")
    except InvalidOperation as exc:
        raise NormalizeError(f"not a number: {value!r}") from exc
    if DECIMAL_RE.match(text) is None:
        raise NormalizeError(f"not a plain decimal: {value!r}")
    return text


def parse_candle_rows(body: bytes | str) -> list[tuple[int, str, str, str, str, str]]:
    """The JSON body of `/candles` as (time s, open, high, low, close, volume), oldest first.

    Read with the standard library's `parse_float=str` because the cells are JSON numbers:
    orjson (and float) would turn 0.00001234 into its binary neighbour."""
    try:
        rows = json.loads(body, parse_float=str)
    except ValueError as exc:
        raise NormalizeError(f"candles: not JSON: {exc}") from exc
    if not isinstance(rows, list):
        raise NormalizeError(f"candles: expected a list, got {type(rows).__name__}")
    out = []
    for row in rows:
        if not isinstance(row, list) or len(row) < 6:
            raise NormalizeError(f"candle row: {row!r}")
        t, low, high, open_, close, volume = row[:6]
        if isinstance(t, bool) or not isinstance(t, int):
            raise NormalizeError(f"candle time: {t!r}")
        out.append(
            (t, _number(open_), _number(high), _number(low), _number(close), _number(volume))
        )
    out.sort(key=lambda r: r[0])
    return out


def candles_of(
    rows: Sequence[tuple[int, str, str, str, str, str]],
    symbol: str,
    interval: str,
    source: Source,
    now_ms: int,
) -> list[CandleDict]:
    """Rows of Coinbase's granularity (oldest first) as candles of `interval`, merging several
    into one where Coinbase lacks the interval (4 h from 1 h, aligned to UTC like Binance's)."""
    span = INTERVAL_S[interval]
    groups: dict[int, list[tuple[int, str, str, str, str, str]]] = {}
    for row in rows:
        groups.setdefault(row[0] // span * span, []).append(row)
    out: list[CandleDict] = []
    for start in sorted(groups):
        parts = groups[start]
        close_ms = (start + span) * 1000 - 1
        out.append(
            {
                "symbol": symbol,
                "interval": interval,
                "openTime": start * 1000,
                "closeTime": close_ms,
                "open": parts[0][1],
                "high": max((p[2] for p in parts), key=Decimal),
                "low": min((p[3] for p in parts), key=Decimal),
                "close": parts[-1][4],
                "volume": _sum(p[5] for p in parts),
                "closed": close_ms < now_ms,
                "source": source.value,
            }
        )
    return out


def _sum(values: Any) -> str:
    total = sum((Decimal(v) for v in values), Decimal(0))
    return format(total, "f")
