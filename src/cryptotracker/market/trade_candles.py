"""Live candles built from trades, for exchanges whose feed has no candle channel (Coinbase
Exchange): each demanded (symbol, interval) keeps its forming candle; a trade updates it and
one in a later interval closes it. Pure bookkeeping, decimal strings in and out."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from cryptotracker.protocol import CandleDict, Source


@dataclass(slots=True)
class _Forming:
    open_ms: int
    open: str
    high: Decimal
    low: Decimal
    close: str
    volume: Decimal


class TradeCandles:
    """Candles of the demanded (symbol, interval) pairs; `spans` maps an interval to its
    length in seconds (aligned to the epoch, so UTC-aligned like the exchanges' REST)."""

    def __init__(self, source: Source, spans: dict[str, int]) -> None:
        self._source = source.value
        self._spans = spans
        self._wanted: dict[str, list[str]] = {}  # symbol -> its demanded intervals
        self._forming: dict[tuple[str, str], _Forming] = {}

    def want(self, pairs: frozenset[tuple[str, str]]) -> None:
        wanted: dict[str, list[str]] = {}
        for symbol, interval in sorted(pairs):
            if interval in self._spans:
                wanted.setdefault(symbol, []).append(interval)
        self._wanted = wanted
        for key in [k for k in self._forming if k[1] not in wanted.get(k[0], ())]:
            del self._forming[key]

    def on_trade(self, symbol: str, price: str, size: str, time_ms: int) -> list[CandleDict]:
        """The candles this trade changes: a closed one first when it starts a new interval."""
        intervals = self._wanted.get(symbol)
        if not intervals:
            return []
        out: list[CandleDict] = []
        p = Decimal(price)
        for interval in intervals:
            span_ms = self._spans[interval] * 1000
            start = time_ms // span_ms * span_ms
            key = (symbol, interval)
            c = self._forming.get(key)
            if c is not None and start < c.open_ms:
                continue  # a trade of a candle already closed: too late to count
            if c is not None and start > c.open_ms:
                out.append(self._candle(symbol, interval, c, span_ms, closed=True))
                c = None
            if c is None:
                c = self._forming[key] = _Forming(start, price, p, p, price, Decimal(0))
            if p > c.high:
                c.high = p
            if p < c.low:
                c.low = p
            c.close = price
            c.volume += Decimal(size)
            out.append(self._candle(symbol, interval, c, span_ms, closed=False))
        return out

    def _candle(
        self, symbol: str, interval: str, c: _Forming, span_ms: int, closed: bool
    ) -> CandleDict:
        return {
            "symbol": symbol,
            "interval": interval,
            "openTime": c.open_ms,
            "closeTime": c.open_ms + span_ms - 1,
            "open": c.open,
            "high": format(c.high, "f"),
            "low": format(c.low, "f"),
            "close": c.close,
            "volume": format(c.volume, "f"),
            "closed": closed,
            "source": self._source,
        }
