"""The unit that moves from the ingesting side to every gateway: one batch interval's changes."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from cryptotracker.protocol import CandleDict, PriceDict, StatusDict


@dataclass(frozen=True, slots=True)
class Batch:
    """Changed symbols (latest value each) and forming candles of one interval.

    `origin` names the instance that built it so an instance can skip its own batches when they
    come back over Redis; `seq` orders batches of one origin.
    """

    origin: str
    seq: int
    timestamp: int
    updates: list[PriceDict]
    candles: list[CandleDict] = field(default_factory=list)
    # The ingesting instance's feed status, so every instance can tell its clients.
    status: StatusDict | None = None
    # Markets the exchange no longer lists: every instance forgets them and tells its clients.
    delisted: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "origin": self.origin,
                "seq": self.seq,
                "timestamp": self.timestamp,
                "updates": self.updates,
                "candles": self.candles,
                "status": self.status,
                "delisted": self.delisted,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> Batch:
        """Parse a batch read from the bus; raises ValueError/KeyError/TypeError when malformed."""
        obj = orjson.loads(raw)
        return cls(
            origin=str(obj["origin"]),
            seq=int(obj["seq"]),
            timestamp=int(obj["timestamp"]),
            updates=list(obj["updates"]),
            candles=list(obj.get("candles", [])),
            status=obj.get("status"),
            delisted=[str(s) for s in obj.get("delisted", [])],
        )
