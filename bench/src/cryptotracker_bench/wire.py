"""Sans-I/O WebSocket, Engine.IO v4 and Socket.IO v5 framing for the load generator and the
references: pure functions of bytes, tested without sockets.

Only what a Socket.IO client over a raw WebSocket needs: the HTTP upgrade, masked client frames,
an incremental parser of unmasked server frames, and the handful of packets a client sends
(``40`` connect, ``42N[...]`` event with ack id, ``3`` pong)."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

# Engine.IO packet types (first character of a text frame).
EIO_OPEN, EIO_CLOSE, EIO_PING, EIO_PONG, EIO_MESSAGE = "0", "1", "2", "3", "4"
# Socket.IO packet types (second character, inside an Engine.IO MESSAGE).
SIO_CONNECT, SIO_DISCONNECT, SIO_EVENT, SIO_ACK, SIO_CONNECT_ERROR = "0", "1", "2", "3", "4"


class ProtocolError(ValueError):
    """The peer sent bytes that are not what the protocol allows."""


# ---- HTTP upgrade --------------------------------------------------------------------------


def new_key() -> bytes:
    return base64.b64encode(os.urandom(16))


def accept_key(key: bytes) -> bytes:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2)."""
    return base64.b64encode(hashlib.sha1(key + WS_GUID).digest())


def upgrade_request(host: str, port: int, path: str, key: bytes) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key.decode()}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def upgrade_response(key: bytes) -> bytes:
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept_key(key) + b"\r\n\r\n"
    )


def parse_upgrade_response(head: bytes, key: bytes) -> None:
    """Check a server's answer to `upgrade_request` (the bytes up to the blank line)."""
    lines = head.split(b"\r\n")
    if not lines[0].startswith(b"HTTP/1.1 101"):
        raise ProtocolError(f"upgrade refused: {lines[0][:80]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    if headers.get(b"sec-websocket-accept") != accept_key(key):
        raise ProtocolError("bad Sec-WebSocket-Accept")


def request_key(head: bytes) -> bytes:
    """Sec-WebSocket-Key of an upgrade request (for the reference servers)."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"sec-websocket-key":
            return value.strip()
    raise ProtocolError("no Sec-WebSocket-Key")


# ---- frames ---------------------------------------------------------------------------------


def _length_header(first: int, length: int, mask_bit: int) -> bytes:
    if length < 126:
        return bytes((first, mask_bit | length))
    if length < 1 << 16:
        return bytes((first, mask_bit | 126)) + length.to_bytes(2, "big")
    return bytes((first, mask_bit | 127)) + length.to_bytes(8, "big")


def frame_header_size(length: int) -> int:
    """Bytes of an unmasked frame's header for a payload of `length` bytes."""
    return 2 if length < 126 else 4 if length < 1 << 16 else 10


def server_frame(payload: bytes, opcode: int = OP_TEXT) -> bytes:
    """An unmasked, final frame as a server writes it."""
    return _length_header(0x80 | opcode, len(payload), 0) + payload


def mask(payload: bytes, key: bytes) -> bytes:
    if not payload:
        return payload
    n = len(payload)
    repeated = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(
        n, "little"
    )


def client_frame(
    payload: bytes,
    opcode: int = OP_TEXT,
    key: bytes | None = None,
    *,
    fin: bool = True,
    length: int | None = None,
) -> bytes:
    """A masked frame as a client must write it (RFC 6455 §5.3). The hostile-client tests share
    it: `fin=False` starts a fragmented message, `length` may lie about the payload's size."""
    key = os.urandom(4) if key is None else key
    size = len(payload) if length is None else length
    first = (0x80 if fin else 0) | opcode
    return _length_header(first, size, 0x80) + key + mask(payload, key)


@dataclass(slots=True)
class Frame:
    opcode: int
    payload: bytes


class FrameParser:
    """Incremental parser of server-to-client frames; fragments are joined into one message."""

    __slots__ = ("_buf", "_op", "_parts")

    def __init__(self) -> None:
        self._buf = b""
        self._parts: list[bytes] = []
        self._op = 0

    @property
    def empty(self) -> bool:
        """Nothing held back: no partial frame, no fragments of a message."""
        return not self._buf and not self._parts

    def feed(self, data: bytes) -> list[Frame]:
        buf = self._buf + data if self._buf else data
        out: list[Frame] = []
        pos = 0
        end = len(buf)
        while end - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            if b1 & 0x80:
                raise ProtocolError("masked frame from a server")
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if end - pos < 4:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                head = 4
            elif length == 127:
                if end - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            if end - pos < head + length:
                break
            payload = buf[pos + head : pos + head + length]
            pos += head + length
            opcode = b0 & 0x0F
            fin = b0 & 0x80
            if opcode >= 0x8:  # control frames are never fragmented
                out.append(Frame(opcode, payload))
            elif opcode == OP_CONT:
                self._parts.append(payload)
                if fin:
                    out.append(Frame(self._op, b"".join(self._parts)))
                    self._parts = []
            elif fin:
                out.append(Frame(opcode, payload))
            else:
                self._op = opcode
                self._parts = [payload]
        self._buf = buf[pos:] if pos < end else b""
        return out


def parse_client_frames(buf: bytes) -> tuple[list[Frame], bytes]:
    """Complete masked client frames at the head of `buf` (for the reference servers), and the
    bytes left over."""
    out: list[Frame] = []
    pos = 0
    end = len(buf)
    while end - pos >= 2:
        b0, b1 = buf[pos], buf[pos + 1]
        length = b1 & 0x7F
        head = 2
        if length == 126:
            if end - pos < 4:
                break
            length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
            head = 4
        elif length == 127:
            if end - pos < 10:
                break
            length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
            head = 10
        masked = b1 & 0x80
        key_len = 4 if masked else 0
        if end - pos < head + key_len + length:
            break
        key = buf[pos + head : pos + head + key_len]
        payload = buf[pos + head + key_len : pos + head + key_len + length]
        out.append(Frame(b0 & 0x0F, mask(payload, key) if masked else payload))
        pos += head + key_len + length
    return out, buf[pos:]


# ---- Engine.IO / Socket.IO ---------------------------------------------------------------------


def socketio_path(query: str = "") -> str:
    return "/socket.io/?EIO=4&transport=websocket" + (f"&{query}" if query else "")


def eio_open(sid: str, ping_interval_ms: int, ping_timeout_ms: int) -> bytes:
    body = {
        "sid": sid, "upgrades": [], "pingInterval": ping_interval_ms,
        "pingTimeout": ping_timeout_ms, "maxPayload": 1_000_000,
    }  # fmt: skip
    return b"0" + orjson.dumps(body)


def sio_connect() -> bytes:
    """Connect to the default namespace."""
    return b"40"


def sio_connected(sid: str) -> bytes:
    return b"40" + orjson.dumps({"sid": sid})


def sio_event(name: str, data: Any, ack_id: int | None = None) -> bytes:
    ack = b"" if ack_id is None else str(ack_id).encode()
    return b"42" + ack + orjson.dumps([name, data])


def sio_ack(ack_id: int, data: Any) -> bytes:
    return b"43" + str(ack_id).encode() + orjson.dumps([data])


def subscribe_event(symbols: Iterable[str], ack_id: int) -> bytes:
    return sio_event("subscribe", {"symbols": list(symbols)}, ack_id)


def split_ack(text: bytes) -> tuple[int, Any]:
    """`43N[...]` -> (N, first argument)."""
    if not text.startswith(b"43"):
        raise ProtocolError(f"not an ack: {text[:20]!r}")
    i = 2
    while i < len(text) and 48 <= text[i] <= 57:
        i += 1
    if i == 2:
        raise ProtocolError("ack without id")
    args = orjson.loads(text[i:])
    return int(text[2:i]), args[0] if args else None


def split_event(text: bytes) -> tuple[str, Any]:
    """`42[name, data]` (no ack id) -> (name, data)."""
    if not text.startswith(b"42["):
        raise ProtocolError(f"not an event: {text[:20]!r}")
    name, *rest = orjson.loads(text[2:])
    return str(name), rest[0] if rest else None


BATCH_PREFIX = b'42["batch_update",'
_TS = b'"timestamp":'


_NOT_SNAPSHOT = b',"snapshot":false}'
_TAIL_SEARCH = 64  # the batch's own timestamp lies within this many bytes of the packet's end


def _tail_timestamp(text: bytes, start: int, end: int) -> int:
    """`T` of `"timestamp":T,"snapshot":false}` in the last 64 bytes of `text[start:end]`: the
    batch's own `data.timestamp` (the envelope's comes after it or before `data`); -1 when
    that is not there."""
    stop = text.rfind(_NOT_SNAPSHOT, max(start, end - _TAIL_SEARCH), end)
    if stop < 0:
        return -1
    colon = text.rfind(b":", stop - 20, stop)
    digits = text[colon + 1 : stop]
    if colon < 0 or not digits.isdigit() or not text.startswith(_TS, colon + 1 - len(_TS)):
        return -1
    return int(digits)


def batch_timestamp(text: bytes) -> int:
    """The batch's own `data.timestamp` of a non-snapshot `batch_update` packet without parsing
    the JSON; -1 when it is not where the tracker puts it (the caller parses in full)."""
    return _tail_timestamp(text, 0, len(text))


def batch_receipt(data: bytes) -> int:
    """The batch timestamp when `data` is exactly one whole, unfragmented text frame holding a
    non-snapshot `batch_update` packet (what nearly every read of a keeping-up client is);
    -1 for anything else, which the caller parses in full. No JSON parse and one allocation:
    the cheap path of a load-generator client that only counts what it receives."""
    n = len(data)
    if n < 4 or data[0] != 0x81:  # FIN + text
        return -1
    length = data[1]  # a set mask bit (a server must not mask) makes this >= 128
    if length == 126:
        head = 4
        length = (data[2] << 8) | data[3]
    elif length < 126:
        head = 2
    else:
        return -1
    if head + length != n or not data.startswith(BATCH_PREFIX, head):
        return -1
    return _tail_timestamp(data, head, n)


def is_snapshot(text: bytes) -> bool:
    return b'"snapshot":true' in text[-80:]


def update_times(text: bytes) -> list[int]:
    """Every update's `lastUpdateTime` of a `batch_update` packet (full parse)."""
    _, data = split_event(text)
    return [u["lastUpdateTime"] for u in data["data"]["updates"]]
