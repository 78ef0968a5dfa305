"""The past of a simulated market: a deterministic price path, a pure function of time.

Log price is a sum of piecewise-linear noise at several time scales (1 min ... 180 days), each
with the amplitude a random walk of the asset's daily volatility would have at that scale. The
path passes exactly through the starting price at the simulator's start, so history candles
join the live ones; two candles that share a boundary share that price (close == next open).
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache
from typing import Final, NamedTuple

DAY_MS: Final = 86_400_000
_SCALES_MS: Final = (
    60_000,
    300_000,
    1_800_000,
    10_800_000,
    DAY_MS,
    7 * DAY_MS,
    30 * DAY_MS,
    180 * DAY_MS,
)
_M64: Final = (1 << 64) - 1
_SQRT3: Final = math.sqrt(3.0)
_SAMPLES: Final = 6  # interior points per candle for its high and low


class HistCandle(NamedTuple):
    """Prices of one past candle as floats (units of 1e-8); the caller rounds to ticks."""

    open: float
    high: float
    low: float
    close: float


def mix64(x: int) -> int:
    """splitmix64's finaliser: a well-spread 64-bit hash of an integer."""
    x &= _M64
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _M64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def unit_hash(*parts: int) -> float:
    """Deterministic uniform [0, 1) from integers."""
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h = mix64(h ^ (p & _M64)) + 0x9E3779B97F4A7C15
    return (mix64(h) >> 11) / float(1 << 53)


@lru_cache(maxsize=1 << 17)
def _knot(key: int, scale: int, index: int) -> float:
    # Uniform on [-sqrt 3, sqrt 3]: unit variance.
    return (2.0 * unit_hash(key, scale, index) - 1.0) * _SQRT3


@lru_cache(maxsize=16)
def _noise_totals(key: int, amps: tuple[float, ...], times: tuple[int, ...]) -> tuple[float, ...]:
    """`PricePath._noise` of ascending `times`, summed in the same order (the same floats)."""
    totals = [0.0] * len(times)
    for k, (scale, amp) in enumerate(zip(_SCALES_MS, amps, strict=True)):
        last = -1
        a = b = 0.0
        for i, t in enumerate(times):
            index, rest = divmod(t, scale)
            if index != last:
                last = index
                a = _knot(key, k, index)
                b = _knot(key, k, index + 1)
            totals[i] += amp * (a + (b - a) * (rest / scale))
    return tuple(totals)


class PricePath:
    """Deterministic past prices of one asset that end at `price` at time `anchor_ms`."""

    def __init__(self, key: int, price: float, daily_sigma: float, anchor_ms: int) -> None:
        self.key = key
        self.daily_sigma = daily_sigma
        # Increment of one knot spacing L has variance 2*a^2: match sigma^2 * L / day.
        self._amps = tuple(daily_sigma * math.sqrt(scale / DAY_MS / 2.0) for scale in _SCALES_MS)
        self._offset = math.log(price) - self._noise(anchor_ms)

    def _noise(self, t_ms: int) -> float:
        total = 0.0
        for k, (scale, amp) in enumerate(zip(_SCALES_MS, self._amps, strict=True)):
            index, rest = divmod(t_ms, scale)
            frac = rest / scale
            a = _knot(self.key, k, index)
            b = _knot(self.key, k, index + 1)
            total += amp * (a + (b - a) * frac)
        return total

    def price(self, t_ms: int) -> float:
        return math.exp(self._offset + self._noise(t_ms))

    def prices(self, times: list[int]) -> dict[int, float]:
        """`price` of many ascending times at once: each knot is hashed once, not per time (a
        day of hourly candles touches a few hundred knots, against thousands one by one), and
        paths of the same key and volatility (a coin's markets) share the work."""
        offset = self._offset
        totals = _noise_totals(self.key, self._amps, tuple(times))
        return {t: math.exp(offset + total) for t, total in zip(times, totals, strict=True)}

    def candles(self, bounds: list[int]) -> list[HistCandle]:
        """`candle` of each span between consecutive `bounds`, the same figures, at once."""
        points = sorted(
            {
                start + (end - start) * j // (_SAMPLES + 1)
                for start, end in itertools.pairwise(bounds)
                for j in range(_SAMPLES + 2)
            }
        )
        price = self.prices(points)
        return [
            self._candle(
                start,
                end,
                [price[start + (end - start) * j // (_SAMPLES + 1)] for j in range(_SAMPLES + 2)],
            )
            for start, end in itertools.pairwise(bounds)
        ]

    def candle(self, start_ms: int, end_ms: int) -> HistCandle:
        """Open at `start_ms`, close at `end_ms`, high/low over sampled points in between plus a
        seeded excursion the size of the unsampled wiggle."""
        span = end_ms - start_ms
        points = [self.price(start_ms + span * j // (_SAMPLES + 1)) for j in range(_SAMPLES + 2)]
        return self._candle(start_ms, end_ms, points)

    def _candle(self, start_ms: int, end_ms: int, points: list[float]) -> HistCandle:
        """From the prices at `_SAMPLES` + 2 evenly spaced points, both ends included."""
        o, c = points[0], points[-1]
        span = end_ms - start_ms
        hi, lo = max(points), min(points)
        wiggle = self.daily_sigma * math.sqrt(span / (_SAMPLES + 1) / DAY_MS)
        hi *= math.exp(wiggle * unit_hash(self.key, start_ms, span, 1))
        lo *= math.exp(-wiggle * unit_hash(self.key, start_ms, span, 2))
        return HistCandle(o, hi, lo, c)

    def activity(self, start_ms: int, span_ms: int) -> float:
        """A seeded factor in [0.5, 1.5) for the volume of one candle."""
        return 0.5 + unit_hash(self.key, start_ms, span_ms, 3)
