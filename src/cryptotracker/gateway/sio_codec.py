"""Socket.IO v5 packets as pure functions (no I/O):
`<type>[<attachments>-][<nsp>,][<ack id>][json]`.

`42["ev",1]` is an EVENT on "/", `43/admin,7[true]` an ACK of call 7 on "/admin",
`452-["up",{"_placeholder":true,"num":0},…]` a BINARY_EVENT whose two attachments follow as
binary Engine.IO messages. Decoding is strict (the official test suite closes on what this
refuses) and bounded: the attachment count and the ack id are checked before anything else is
parsed, so a header cannot make the reader wait for a million binary frames."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import orjson

MAX_ACK_ID = 2**53 - 1  # what a JavaScript client can count to


class SioType(IntEnum):
    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


class SioDecodeError(ValueError):
    """Text that is not a valid Socket.IO v5 packet from a client."""


@dataclass(slots=True)
class SioPacket:
    type: SioType
    nsp: str = "/"
    data: Any = None
    ack_id: int | None = None
    attachments: int = 0
    buffers: list[bytes] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return len(self.buffers) >= self.attachments


_CLIENT_TYPES = frozenset(
    {SioType.CONNECT, SioType.DISCONNECT, SioType.EVENT, SioType.ACK, SioType.BINARY_EVENT,
     SioType.BINARY_ACK}
)  # fmt: skip


def decode(text: bytes, max_attachments: int) -> SioPacket:
    """A packet a client sent. Raises SioDecodeError on anything malformed."""
    if not text or not 0x30 <= text[0] <= 0x36:
        raise SioDecodeError("unknown packet type")
    kind = SioType(text[0] - 0x30)
    if kind not in _CLIENT_TYPES:
        raise SioDecodeError("a client cannot send CONNECT_ERROR")
    i, end = 1, len(text)
    attachments = 0
    if kind in (SioType.BINARY_EVENT, SioType.BINARY_ACK):
        dash = text.find(b"-", 1, 12)
        if dash < 0 or not text[1:dash].isdigit():
            raise SioDecodeError("binary packet without an attachment count")
        attachments = int(text[1:dash])
        if attachments > max_attachments:
            raise SioDecodeError(f"more than {max_attachments} attachments")
        i = dash + 1
    nsp = "/"
    if i < end and text[i] == 0x2F:  # "/"
        comma = text.find(b",", i)
        stop = end if comma < 0 else comma
        nsp = _ascii(text[i:stop])
        i = end if comma < 0 else comma + 1
    start = i
    while i < end and 0x30 <= text[i] <= 0x39:
        i += 1
    ack_id = None
    if i > start and (i - start > 16 or (ack_id := int(text[start:i])) > MAX_ACK_ID):
        raise SioDecodeError("ack id out of range")
    data = None
    if i < end:
        try:
            data = orjson.loads(text[i:])
        except orjson.JSONDecodeError as exc:
            raise SioDecodeError("payload is not JSON") from exc
    packet = SioPacket(kind, nsp, data, ack_id, attachments)
    _check_shape(packet)
    return packet


def _ascii(raw: bytes) -> str:
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise SioDecodeError("namespace is not ASCII") from exc


def _check_shape(p: SioPacket) -> None:
    if p.type is SioType.CONNECT:
        if p.data is not None and not isinstance(p.data, dict):
            raise SioDecodeError("CONNECT payload must be an object")
    elif p.type is SioType.DISCONNECT:
        if p.data is not None:
            raise SioDecodeError("DISCONNECT has no payload")
    elif p.type in (SioType.EVENT, SioType.BINARY_EVENT):
        if not (isinstance(p.data, list) and p.data and isinstance(p.data[0], str)):
            raise SioDecodeError("EVENT payload must be an array starting with the event name")
    elif (p.type in (SioType.ACK, SioType.BINARY_ACK)) and (
        not isinstance(p.data, list) or p.ack_id is None
    ):
        raise SioDecodeError("ACK needs an id and an array payload")


def reconstruct(data: Any, buffers: list[bytes]) -> Any:
    """Put the binary attachments back where their placeholders are."""
    if isinstance(data, list):
        return [reconstruct(v, buffers) for v in data]
    if isinstance(data, dict):
        if data.get("_placeholder") is True and isinstance(data.get("num"), int):
            num = data["num"]
            if not 0 <= num < len(buffers):
                raise SioDecodeError("placeholder refers to a missing attachment")
            return buffers[num]
        return {k: reconstruct(v, buffers) for k, v in data.items()}
    return data


def _deconstruct(data: Any, buffers: list[bytes]) -> Any:
    if isinstance(data, bytes | bytearray | memoryview):
        buffers.append(bytes(data))
        return {"_placeholder": True, "num": len(buffers) - 1}
    if isinstance(data, list | tuple):
        return [_deconstruct(v, buffers) for v in data]
    if isinstance(data, dict):
        return {k: _deconstruct(v, buffers) for k, v in data.items()}
    return data


def encode(
    kind: SioType, nsp: str = "/", data: Any = None, ack_id: int | None = None
) -> list[bytes]:
    """The Engine.IO MESSAGE bodies of a packet: its text, then any binary attachments.
    EVENT/ACK data holding bytes becomes BINARY_EVENT/BINARY_ACK."""
    buffers: list[bytes] = []
    if data is not None and kind in (SioType.EVENT, SioType.ACK):
        data = _deconstruct(data, buffers)
        if buffers:
            kind = SioType.BINARY_EVENT if kind is SioType.EVENT else SioType.BINARY_ACK
    head = str(int(kind))
    if buffers:
        head += f"{len(buffers)}-"
    if nsp != "/":
        head += nsp + ","
    if ack_id is not None:
        head += str(ack_id)
    text = head.encode() if data is None else head.encode() + orjson.dumps(data)
    return [text, *buffers]
