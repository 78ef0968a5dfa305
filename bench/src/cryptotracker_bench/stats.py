"""Pure numerics of the bench: percentiles, a mergeable latency histogram, Zipf-skewed
subscriptions."""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]) of unsorted values; NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


# Latency histogram: 0.1 ms steps up to 100 ms, then 1 % steps up to ~10 min.
_LINEAR_MS = 100.0
_STEP_MS = 0.1
_LINEAR_BUCKETS = int(_LINEAR_MS / _STEP_MS)
_GROWTH = 1.01
_LOG_GROWTH = math.log(_GROWTH)
_MAX_BUCKET = _LINEAR_BUCKETS + int(math.log(600_000 / _LINEAR_MS) / _LOG_GROWTH) + 1


def bucket_of(ms: float) -> int:
    if ms < _LINEAR_MS:
        return max(0, int(ms / _STEP_MS))
    return min(_MAX_BUCKET, _LINEAR_BUCKETS + int(math.log(ms / _LINEAR_MS) / _LOG_GROWTH))


def bucket_upper(index: int) -> float:
    """The largest value a bucket holds (what a percentile reports: never optimistic)."""
    if index < _LINEAR_BUCKETS:
        return (index + 1) * _STEP_MS
    return _LINEAR_MS * _GROWTH ** (index - _LINEAR_BUCKETS + 1)


@dataclass(slots=True)
class Histogram:
    """Counts of millisecond values; mergeable across processes through `to_json`."""

    counts: dict[int, int] = field(default_factory=dict)
    n: int = 0
    total: float = 0.0
    max: float = 0.0

    def add(self, ms: float) -> None:
        if ms < 0:
            ms = 0.0
        b = bucket_of(ms)
        self.counts[b] = self.counts.get(b, 0) + 1
        self.n += 1
        self.total += ms
        if ms > self.max:
            self.max = ms

    def add_many(self, values: Iterable[float]) -> None:
        for v in values:
            self.add(v)

    def merge(self, other: Histogram) -> None:
        for b, c in other.counts.items():
            self.counts[b] = self.counts.get(b, 0) + c
        self.n += other.n
        self.total += other.total
        self.max = max(self.max, other.max)

    def percentile(self, q: float) -> float:
        if not self.n:
            return math.nan
        rank = max(1, math.ceil(q / 100 * self.n))
        seen = 0
        for b in sorted(self.counts):
            seen += self.counts[b]
            if seen >= rank:
                return min(bucket_upper(b), self.max)
        return self.max

    def count_above(self, ms: float) -> int:
        """Values certainly above `ms` (buckets whose lower bound is >= it)."""
        first = bucket_of(ms) + 1
        return sum(c for b, c in self.counts.items() if b >= first)

    def mean(self) -> float:
        return self.total / self.n if self.n else math.nan

    def summary(self) -> dict[str, float]:
        return {
            "n": self.n,
            "p50_ms": self.percentile(50),
            "p95_ms": self.percentile(95),
            "p99_ms": self.percentile(99),
            "max_ms": self.max if self.n else math.nan,
            "mean_ms": self.mean(),
        }

    def to_json(self) -> dict[str, object]:
        return {"counts": {str(k): v for k, v in self.counts.items()}, "n": self.n,
                "total": self.total, "max": self.max}  # fmt: skip

    @classmethod
    def from_json(cls, obj: dict[str, object]) -> Histogram:
        counts = obj["counts"]
        assert isinstance(counts, dict)
        return cls(
            counts={int(k): int(v) for k, v in counts.items()},
            n=int(obj["n"]),  # type: ignore[call-overload]
            total=float(obj["total"]),  # type: ignore[arg-type]
            max=float(obj["max"]),  # type: ignore[arg-type]
        )


# ---- Zipf-skewed subscriptions ------------------------------------------------------------


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    """Popularity of ranks 1..n, proportional to 1/rank^s, summing to 1."""
    raw = [1.0 / (rank**s) for rank in range(1, n + 1)]
    total = sum(raw)
    return [w / total for w in raw]


def weighted_sample(rng: random.Random, cumulative: Sequence[float], k: int) -> list[int]:
    """k distinct indices drawn by weight (cumulative weights, last = total), without
    replacement; rejection is cheap while k is small beside the population."""
    n = len(cumulative)
    if k >= n:
        return list(range(n))
    total = cumulative[-1]
    chosen: dict[int, None] = {}
    attempts = 0
    while len(chosen) < k and attempts < 100 * k:
        attempts += 1
        chosen[bisect.bisect_right(cumulative, rng.random() * total)] = None
    if len(chosen) < k:  # heavy skew: fill from the most popular remaining
        for i in range(n):
            if len(chosen) >= k:
                break
            chosen.setdefault(i, None)
    return list(chosen)


def subscriptions(
    symbols: Sequence[str],
    clients: int,
    k: int,
    s: float = 1.0,
    shared: float = 0.2,
    presets: int = 8,
    seed: int = 1,
) -> list[list[str]]:
    """One symbol list per client. `symbols` are ordered by popularity; each client draws k of
    them with Zipf(s) weights. A fraction `shared` instead takes one of `presets` common lists
    (a default watchlist, the top of the table), so some subscription sets repeat exactly."""
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate(zipf_weights(len(symbols), s)))
    common = [[symbols[i] for i in weighted_sample(rng, cumulative, k)] for _ in range(presets)]
    if common:
        common[0] = list(symbols[:k])
    preset_cum = list(itertools.accumulate(zipf_weights(len(common), 1.0))) if common else []
    out: list[list[str]] = []
    for _ in range(clients):
        if common and rng.random() < shared:
            out.append(common[bisect.bisect_right(preset_cum, rng.random() * preset_cum[-1])])
        else:
            out.append([symbols[i] for i in weighted_sample(rng, cumulative, k)])
    return out


def distinct_sets(subs: Iterable[Iterable[str]]) -> int:
    return len({frozenset(s) for s in subs})
