"""What the two reference servers send: `batch_update` packets byte-compatible with the
tracker's, built from a replay of which symbols changed in each batch. Pure functions."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence

import orjson

from cryptotracker_bench import wire

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
    """Per-symbol fragments encoded once; a batch's packets are joins of them with a time."""

    def __init__(self, symbols: Sequence[str]) -> None:
        self._parts = {s: update_parts(s, i) for i, s in enumerate(symbols)}

    def of(self, changed: Iterable[str], ts_ms: int) -> Batch:
        """One batch: each changed symbol's update built once, for every client's packet."""
        t = str(ts_ms).encode()
        parts = self._parts
        return Batch({s: parts[s][0] + t + parts[s][1] for s in changed}, t)

    def batch(self, symbols: Sequence[str], ts_ms: int) -> bytes:
        """The packet of these symbols' updates, in this order."""
        return self.of(symbols, ts_ms).packet(symbols)


class Batch:
    """The packets of one batch for any subset of its symbols, as the tracker builds them:
    fragments joined between a fixed head and tail."""

    __slots__ = ("_fragments", "_tail")

    def __init__(self, fragments: dict[str, bytes], t: bytes) -> None:
        self._fragments = fragments
        self._tail = b'],"timestamp":' + t + b',"snapshot":false},"timestamp":' + t + b"}]"

    def packet(self, ordered: Iterable[str]) -> bytes:
        """The `batch_update` packet of those of these symbols the batch changed (in the order
        given); empty when it changed none of them."""
        get = self._fragments.get
        parts = [f for s in ordered if (f := get(s)) is not None]
        return b"".join((BATCH_HEAD, b",".join(parts), self._tail)) if parts else b""

    def frame(self, ordered: Iterable[str]) -> bytes:
        """`packet` as a WebSocket frame (empty when the packet is)."""
        packet = self.packet(ordered)
        return wire.server_frame(packet) if packet else b""


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
