"""Which candles a reconnect may have missed: the newest candle seen on each kline stream, so the
candles that closed while no connection carried it can be fetched by REST (`/api/v3/klines`
from that open time) and handed on oldest first. Pure bookkeeping; `binance.py` fetches.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptotracker.protocol import CandleDict

# Binance's largest klines page (weight 2 whatever the limit): a longer gap keeps its oldest part.
BACKFILL_LIMIT = 1000
# Length of the intervals the tracker serves (protocol.CANDLE_INTERVALS), in ms.
INTERVAL_MS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000,
               "4h": 14_400_000, "1d": 86_400_000}  # fmt: skip


class KlineGaps:
    def __init__(self) -> None:
        # (symbol, interval) -> (open time, closed) of the newest candle seen.
        self._last: dict[tuple[str, str], tuple[int, bool]] = {}

    def seen(self, symbol: str, interval: str, open_time: int, closed: bool) -> None:
        key = (symbol, interval)
        last = self._last.get(key)
        if last is None or (open_time, closed) > last:
            self._last[key] = (open_time, closed)

    def keep(self, keys: Iterable[tuple[str, str]]) -> None:
        """Forget streams no longer carried: a chart opened again later starts afresh."""
        wanted = set(keys)
        for key in [k for k in self._last if k not in wanted]:
            del self._last[key]

    def start(self, symbol: str, interval: str) -> int | None:
        """The open time from which candles may be missing (None: never seen, nothing to fill):
        the newest seen candle again unless we saw it closed."""
        last = self._last.get((symbol, interval))
        if last is None:
            return None
        open_time, closed = last
        return open_time + 1 if closed else open_time


def may_have_missed(start_ms: int, interval: str, now_ms: int) -> bool:
    """Whether a candle from `start_ms` on can have closed by `now_ms` (exchange time): a quick
    reconnect within one candle costs no REST call. An interval we do not know: ask."""
    span = INTERVAL_MS.get(interval)
    return span is None or now_ms >= start_ms - start_ms % span + span


def missed(candles: Iterable[CandleDict], start_ms: int) -> list[CandleDict]:
    """The closed candles from `start_ms` on, oldest first: what the gap kept from us."""
    return sorted(
        (c for c in candles if c["closed"] and c["openTime"] >= start_ms),
        key=lambda c: c["openTime"],
    )


def kline_key(stream: str) -> tuple[str, str] | None:
    """``btcusdt@kline_1m`` -> ("BTCUSDT", "1m"); None for other streams."""
    name, _, kind = stream.partition("@")
    if not kind.startswith("kline_") or not name:
        return None
    return name.upper(), kind[len("kline_") :]
