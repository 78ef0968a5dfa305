"""Socket.IO packets built once per distinct payload. An event becomes the Engine.IO message
`4` + Socket.IO event `2["name",{envelope}]`; the text is shared by every recipient."""

from __future__ import annotations

import time
from typing import Any

import orjson
from engineio import packet as eio_packet

from cryptotracker.protocol import ServerEvent, envelope


def now_ms() -> int:
    return int(time.time() * 1000)


def event_text(
    event: ServerEvent, data: Any, timestamp: int | None = None, request_id: str | None = None
) -> str:
    """The Socket.IO EVENT packet (namespace "/", no ack id) carrying our envelope."""
    env = envelope(event, data, now_ms() if timestamp is None else timestamp, request_id)
    return '2["' + event.value + '",' + orjson.dumps(env).decode() + "]"


def event_packet(
    event: ServerEvent, data: Any, timestamp: int | None = None, request_id: str | None = None
) -> eio_packet.Packet:
    return eio_packet.Packet(eio_packet.MESSAGE, event_text(event, data, timestamp, request_id))


class OrjsonForSocketIO:
    """The `json` module python-socketio and python-engineio call (dumps/loads with kwargs)."""

    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return orjson.dumps(obj).decode()

    @staticmethod
    def loads(raw: str | bytes, **_: Any) -> Any:
        return orjson.loads(raw)
