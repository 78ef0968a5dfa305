"""What the two reference servers send: `batch_update` packets byte-compatible with the
tracker's, built from a replay of which symbols changed in each batch. Pure functions."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import orjson

BATCH_HEAD = b'42["batch_update",{"event":"batch_update","data":{"updates":['


def update_parts(symbol: str, rank: int) -> tuple[bytes, bytes]:
    """A price update as the tracker encodes it, split around `lastUpdateTime`'s value."""
    price = f"{1000.0 / (rank + 1):.8f}"
    body = orjson.dumps({
        "symbol": symbol, "price": price, "priceChangePercent": "-1.234",
        "high24h": price, "low24h": price, "volume24h": "98765432.12345678",
        "lastUpdateTime": 0, "source": "simulator",
    })  # fmt: skip
    head, _, tail = body.partition(b'"lastUpdateTime":0')
    return head + b'"lastUpdateTime":', tail


class Payloads:
    """Per-symbol fragments encoded once; a batch packet is a join of them with a time."""

    def __init__(self, symbols: Sequence[str]) -> None:
        self._parts = {s: update_parts(s, i) for i, s in enumerate(symbols)}

    def batch(self, symbols: Sequence[str], ts_ms: int) -> bytes:
        t = str(ts_ms).encode()
        parts = self._parts
        body = b",".join(parts[s][0] + t + parts[s][1] for s in symbols)
        return (
            BATCH_HEAD
            + body
            + b'],"timestamp":'
            + t
            + b',"snapshot":false},"timestamp":'
            + t
            + b"}]"
        )


def replay(
    recorded: Sequence[Sequence[str]] | None,
    symbols: Sequence[str],
    per_batch: int,
    seed: int = 1,
) -> Iterator[frozenset[str]]:
    """Changed-symbol sets, one per batch, forever: the recorded sequence of a tracker run
    (cycled), or `per_batch` uniform draws over `symbols` when nothing was recorded."""
    if recorded:
        sets = [frozenset(r) for r in recorded if r]
        while True:
            yield from sets
    rng = random.Random(seed)
    while True:
        yield frozenset(rng.choice(symbols) for _ in range(per_batch))
