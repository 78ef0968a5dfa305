"""Engine.IO v4 packets and long-polling payloads as pure functions of bytes (no I/O).

A packet is its type digit and its data: `4hello` is a MESSAGE "hello", `2` a PING. Over
WebSocket each packet is one frame (binary MESSAGEs are binary frames, without the digit); over
long-polling packets are joined with the record separator 0x1e and binary data is written as
`b` + base64."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from enum import IntEnum

SEPARATOR = b"\x1e"


class EioType(IntEnum):
    OPEN = 0
    CLOSE = 1
    PING = 2
    PONG = 3
    MESSAGE = 4
    UPGRADE = 5
    NOOP = 6


class EioDecodeError(ValueError):
    """Bytes that are not an Engine.IO v4 packet or payload."""


@dataclass(frozen=True, slots=True)
class EioPacket:
    type: EioType
    data: bytes = b""
    binary: bool = False  # a binary MESSAGE (only MESSAGEs carry binary data)


def decode_text(text: bytes) -> EioPacket:
    """One text packet (a WebSocket text frame, or one record of a polling payload)."""
    if not text:
        raise EioDecodeError("empty packet")
    kind = text[0] - 0x30
    if not 0 <= kind <= 6:
        raise EioDecodeError(f"unknown packet type {text[:1]!r}")
    return EioPacket(EioType(kind), text[1:])


def encode_text(kind: EioType, data: bytes = b"") -> bytes:
    return bytes((0x30 + kind,)) + data


def decode_payload(body: bytes, max_packets: int) -> list[EioPacket]:
    """A long-polling POST body: packets separated by 0x1e, binary ones as `b<base64>`."""
    records = body.split(SEPARATOR, max_packets)
    if len(records) > max_packets:
        raise EioDecodeError(f"more than {max_packets} packets in one payload")
    packets: list[EioPacket] = []
    for record in records:
        if record[:1] == b"b":
            try:
                data = base64.b64decode(record[1:], validate=True)
            except binascii.Error as exc:
                raise EioDecodeError("invalid base64 in a binary packet") from exc
            packets.append(EioPacket(EioType.MESSAGE, data, binary=True))
        else:
            packets.append(decode_text(record))
    return packets


def encode_payload_record(packet: bytes, binary: bool = False) -> bytes:
    """One packet as a record of a polling response (text packets are already encoded)."""
    return b"b" + base64.b64encode(packet) if binary else packet


def encode_payload(records: list[bytes]) -> bytes:
    return SEPARATOR.join(records)
