"""Socket.IO packets built once per distinct payload. An event becomes the Engine.IO message
`4` + Socket.IO event `2["name",{envelope}]`, and its WebSocket frame; both are shared by every
recipient. A batch's per-client payloads are joined from each update's JSON, encoded once per
batch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from cryptotracker.clock import now_ms
from cryptotracker.gateway.websocket import text_frame, text_header
from cryptotracker.protocol import PriceDict, ServerEvent, envelope


class OutFrame:
    """One Engine.IO text packet for many recipients: `frame` for WebSocket sessions (written
    as is), `packet` for long-polling ones."""

    __slots__ = ("_packet", "frame")

    def __init__(self, frame: bytes, packet: bytes | None = None) -> None:
        self.frame = frame
        self._packet = packet

    @classmethod
    def of_packet(cls, packet: bytes) -> OutFrame:
        return cls(text_frame(packet), packet)

    @property
    def packet(self) -> bytes:
        if self._packet is None:
            size = self.frame[1] & 0x7F
            self._packet = self.frame[2 + (2 if size == 126 else 8 if size == 127 else 0) :]
        return self._packet


def event_text(
    event: ServerEvent, data: Any, timestamp: int | None = None, request_id: str | None = None
) -> bytes:
    """The Socket.IO EVENT packet (namespace "/", no ack id) carrying our envelope."""
    env = envelope(event, data, now_ms() if timestamp is None else timestamp, request_id)
    return b'2["' + event.value.encode() + b'",' + orjson.dumps(env) + b"]"


def event_packet(
    event: ServerEvent, data: Any, timestamp: int | None = None, request_id: str | None = None
) -> OutFrame:
    return OutFrame.of_packet(b"4" + event_text(event, data, timestamp, request_id))


class BatchPackets:
    """`batch_update` frames of one batch for any subset of its symbols, byte for byte what
    `event_packet` frames for the same updates, joined from fragments encoded once: with skewed
    subscriptions most subsets are distinct, and encoding each whole would cost per client."""

    _HEAD = b'42["batch_update",{"event":"batch_update","data":{"updates":['

    def __init__(self, updates: Iterable[PriceDict], batch_ts: int, now: int) -> None:
        self._parts = {u["symbol"]: orjson.dumps(u) for u in updates}
        self._tail = b'],"timestamp":%d,"snapshot":false},"timestamp":%d}]' % (batch_ts, now)

    def frame(self, symbols: Iterable[str]) -> bytes:
        """The WebSocket frame of these symbols' updates, in the order given."""
        parts = self._parts
        body = b",".join([parts[s] for s in symbols])
        size = len(self._HEAD) + len(body) + len(self._tail)
        return b"".join((text_header(size), self._HEAD, body, self._tail))
