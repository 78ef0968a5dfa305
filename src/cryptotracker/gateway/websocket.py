"""A WebSocket connection on an asyncio transport: the opening handshake (RFC 6455 §4.2), frames
read by the `websockets` library's Sans-I/O protocol (limits enforced while reading), and frames
written by us — server frames are unmasked, so a text frame is a header and the payload, and the
fan-out can build one once and write it to many connections."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
from collections.abc import Callable
from typing import Protocol

from websockets.exceptions import PayloadTooBig
from websockets.frames import CloseCode, Frame, Opcode
from websockets.protocol import Protocol as WsProtocol
from websockets.protocol import Side, State

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# How long a closing connection waits for the client's side of the closing handshake.
CLOSE_TIMEOUT_S = 2.0
# Bytes parsed per turn of the event loop. One read can hold thousands of tiny frames (a
# flooder's 2000 pings are 38 KB; parsing costs ~9 us a frame): the rest waits for the next
# turn, with reading paused, so one connection holds the loop ~1 ms at a time (20 flooders at
# once delayed batches by 250 ms with 8 KiB slices, by 60 ms or less with 2 KiB).
READ_SLICE = 2 * 1024


class HandshakeError(ValueError):
    """A request that is not a valid WebSocket opening handshake."""


def accept_key(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + _GUID).digest())


def check_handshake(headers: dict[bytes, bytes]) -> bytes:
    """The client's Sec-WebSocket-Key, if the headers ask for a version 13 upgrade."""
    if headers.get(b"upgrade", b"").lower() != b"websocket":
        raise HandshakeError("not a WebSocket upgrade")
    if b"upgrade" not in headers.get(b"connection", b"").lower():
        raise HandshakeError("Connection header lacks upgrade")
    if headers.get(b"sec-websocket-version") != b"13":
        raise HandshakeError("unsupported WebSocket version")
    key = headers.get(b"sec-websocket-key", b"")
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise HandshakeError("bad Sec-WebSocket-Key")
    except ValueError as exc:
        raise HandshakeError("bad Sec-WebSocket-Key") from exc
    return key


def handshake_response(key: bytes) -> bytes:
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept_key(key) + b"\r\n\r\n"
    )


def _header(opcode: int, size: int) -> bytes:
    first = 0x80 | opcode
    if size < 126:
        return bytes((first, size))
    if size < 1 << 16:
        return bytes((first, 126)) + size.to_bytes(2, "big")
    return bytes((first, 127)) + size.to_bytes(8, "big")


def text_frame(payload: bytes) -> bytes:
    """A whole, unmasked, final text frame."""
    return _header(Opcode.TEXT.value, len(payload)) + payload


def text_header(size: int) -> bytes:
    return _header(Opcode.TEXT.value, size)


def binary_frame(payload: bytes) -> bytes:
    return _header(Opcode.BINARY.value, len(payload)) + payload


class MessageSink(Protocol):
    """What a WebSocket connection reports to the layer above it."""

    def ws_message(self, data: bytes, binary: bool) -> None: ...

    def ws_too_big(self) -> None:
        """A message over the size limit arrived: the connection is closing with 1009."""

    def ws_closed(self) -> None: ...


class WebSocket(asyncio.Protocol):
    """One upgraded connection. The transport is public: the fan-out writes frames to it."""

    __slots__ = (
        "_backlog",
        "_closer",
        "_deaf",
        "_eof",
        "_fragments",
        "_next_slice",
        "_proto",
        "open",
        "paused",
        "sink",
        "transport",
    )

    def __init__(self, transport: asyncio.Transport, max_size: int, send_buffer: int) -> None:
        self.transport = transport
        self._proto = WsProtocol(Side.SERVER, state=State.OPEN, max_size=max_size)
        self._fragments: list[bytes] | None = None
        self.sink: MessageSink | None = None
        self.paused = False
        # False from the moment either side starts closing: nothing more may be written.
        self.open = True
        self._closer: asyncio.TimerHandle | None = None
        # Read but not yet parsed (over READ_SLICE); parsed on the next turns.
        self._backlog = bytearray()
        self._next_slice: asyncio.Handle | None = None
        self._eof = False
        # Set when we stop reading an abuser: nothing it sends is parsed again.
        self._deaf = False
        sock = transport.get_extra_info("socket")
        if sock is not None and send_buffer > 0:
            # Bounded kernel memory per connection: a stalled client pins at most this
            # (doubled by Linux), and back-pressure reaches us instead of the kernel queueing.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)

    # ---- reading ---------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._deaf:  # one read may still come after pause_reading
            return
        if self._backlog or len(data) > READ_SLICE:
            self._backlog += data
            if self._next_slice is None:
                self.transport.pause_reading()
                self._next_slice = asyncio.get_running_loop().call_soon(self._parse_slice)
            return
        self._parse(data)

    def _parse_slice(self) -> None:
        self._next_slice = None
        backlog = self._backlog
        chunk = bytes(backlog[:READ_SLICE])
        del backlog[:READ_SLICE]
        self._parse(chunk)
        if self.transport.is_closing() or self._deaf:
            backlog.clear()
        elif backlog:
            self._next_slice = asyncio.get_running_loop().call_soon(self._parse_slice)
        elif self._eof:
            self.eof_received()
        else:
            self.transport.resume_reading()

    def _parse(self, data: bytes) -> None:
        proto = self._proto
        proto.receive_data(data)
        for frame in proto.events_received():
            # Read per frame: a frame can hand the connection to another sink (the upgrade's
            # `5`), and the frames after it in the same read are the new sink's.
            sink = self.sink
            if sink is None or not isinstance(frame, Frame):
                continue
            self._frame(sink, frame)
        if isinstance(proto.parser_exc, PayloadTooBig) and self.sink is not None:
            self.sink.ws_too_big()  # before the close frame below, so its error reaches the client
        self._flush()
        if proto.state is not State.OPEN:
            self._ended()

    def _frame(self, sink: MessageSink, frame: Frame) -> None:
        opcode, data = frame.opcode, bytes(frame.data)
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            if frame.fin:
                sink.ws_message(data, opcode is Opcode.BINARY)
            else:  # the library bounds the whole message (max_size) while reading
                self._fragments = [bytes((opcode.value,)), data]
        elif opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(data)
            if frame.fin:
                head, *parts = self._fragments
                self._fragments = None
                sink.ws_message(b"".join(parts), head[0] == Opcode.BINARY.value)

    def eof_received(self) -> bool | None:
        if self._backlog:  # what was read before the end is parsed first
            self._eof = True
            return True  # keep our side open until then
        self._proto.receive_eof()
        self._flush()
        self._ended()
        return None

    def _ended(self) -> None:
        """Either side began closing: the session above learns it now, not at the TCP close."""
        self.open = False
        sink, self.sink = self.sink, None
        if sink is not None:
            sink.ws_closed()

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self._next_slice is not None:
            self._next_slice.cancel()
            self._next_slice = None
        self._backlog.clear()
        if self._closer is not None:
            self._closer.cancel()
            self._closer = None
        sink, self.sink = self.sink, None
        if sink is not None:
            sink.ws_closed()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False

    # ---- writing ---------------------------------------------------------------------------

    def send_text(self, payload: bytes) -> None:
        if self.open:
            self.transport.write(text_frame(payload))

    def send_binary(self, payload: bytes) -> None:
        if self.open:
            self.transport.write(binary_frame(payload))

    def write(self, frame: bytes) -> bool:
        """A frame built elsewhere (the fan-out's); False once closing."""
        if self.open:
            self.transport.write(frame)
            return True
        return False

    def close(
        self, code: int = CloseCode.NORMAL_CLOSURE, reason: str = "", listen: bool = True
    ) -> None:
        """Start the closing handshake from our side; the TCP connection ends when the client
        answers (or after CLOSE_TIMEOUT_S). Not at once: closing a socket with the client's
        data still unread sends a reset, and the client would lose what we wrote last.
        `listen=False` (an abuser): nothing it sends is read or parsed again, and the
        connection ends after CLOSE_TIMEOUT_S, by when our last frames have reached it."""
        self.sink = None
        if self._proto.state is State.OPEN:
            self._proto.send_close(code, reason)
            self._flush()
        self.open = False
        transport = self.transport
        if not listen and not transport.is_closing():
            self._deaf = True
            transport.pause_reading()
            self._backlog.clear()
            if self._next_slice is not None:
                self._next_slice.cancel()
                self._next_slice = None
            # Our side ends now (after the close frame): the client learns at once that the
            # connection is over without our reading its answer.
            if transport.can_write_eof():
                transport.write_eof()
        self._linger()

    def _flush(self) -> None:
        transport = self.transport
        for chunk in self._proto.data_to_send():
            if transport.is_closing():
                return
            if chunk:
                transport.write(chunk)
            elif transport.can_write_eof():
                self.open = False
                # The library ends our side (after a close frame, or a failure such as a
                # message over max_size); it reads and drops what still comes until the client
                # closes its side.
                transport.write_eof()
                self._linger()
            else:
                transport.close()
        if self._proto.state is State.CLOSED and not transport.is_closing():
            transport.close()

    def _linger(self) -> None:
        if self._closer is None and not self.transport.is_closing():
            loop = asyncio.get_running_loop()
            self._closer = loop.call_later(CLOSE_TIMEOUT_S, self.transport.abort)


def upgrade(
    transport: asyncio.Transport,
    key: bytes,
    max_size: int,
    send_buffer: int,
    attach: Callable[[WebSocket], MessageSink | None],
    rest: bytes,
) -> WebSocket:
    """Answer the handshake, take over the transport, and feed it what followed the request."""
    ws = WebSocket(transport, max_size, send_buffer)
    transport.write(handshake_response(key))
    transport.set_protocol(ws)
    ws.sink = attach(ws)
    if rest:
        ws.data_received(rest)
    return ws
