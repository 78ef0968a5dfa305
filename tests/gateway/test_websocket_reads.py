"""One read holding thousands of frames is parsed a slice per turn of the event loop, with
reading paused meanwhile, so a flooding connection cannot hold the loop; nothing is lost or
reordered, and an end of stream read behind the backlog waits for it."""

from __future__ import annotations

import asyncio

from cryptotracker.gateway.websocket import READ_SLICE, WebSocket
from tests.gateway.rawclient import client_frame


class Transport(asyncio.Transport):
    """Records what the connection asks of its transport."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = True
        self.closing = False
        self.written: list[bytes] = []
        self.eof_written = False

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_closing(self) -> bool:
        return self.closing

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof_written = True

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return default


class Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.closed = False

    def ws_message(self, data: bytes, binary: bool) -> None:
        self.messages.append(data)

    def ws_too_big(self) -> None:
        pass

    def ws_closed(self) -> None:
        self.closed = True


async def test_a_read_of_thousands_of_frames_is_parsed_a_slice_per_turn() -> None:
    transport = Transport()
    ws = WebSocket(transport, max_size=16 * 1024, send_buffer=0)
    sink = Sink()
    ws.sink = sink
    frames = [client_frame(b"4%d" % i) for i in range(2000)]
    data = b"".join(frames)
    ws.data_received(data)
    assert not transport.reading and sink.messages == []  # nothing parsed in this turn
    turns = 0
    while len(sink.messages) < len(frames):
        before = len(sink.messages)
        await asyncio.sleep(0)  # one turn of the loop
        turns += 1
        # a slice, plus the frame it ended inside
        assert sum(map(len, frames[before : len(sink.messages)])) <= READ_SLICE + len(frames[-1])
        assert turns < 1000
    assert sink.messages == [b"4%d" % i for i in range(2000)]
    assert turns >= len(data) // READ_SLICE
    assert transport.reading  # resumed once the backlog is gone


async def test_end_of_stream_behind_a_backlog_comes_after_it() -> None:
    transport = Transport()
    ws = WebSocket(transport, max_size=16 * 1024, send_buffer=0)
    sink = Sink()
    ws.sink = sink
    ws.data_received(b"".join(client_frame(b"4x") for _ in range(1000)))
    assert ws.eof_received() is True  # kept open: the backlog is not parsed yet
    assert not sink.closed
    async with asyncio.timeout(5):
        while not sink.closed:
            await asyncio.sleep(0)
    assert len(sink.messages) == 1000


async def test_small_reads_are_parsed_at_once() -> None:
    transport = Transport()
    ws = WebSocket(transport, max_size=16 * 1024, send_buffer=0)
    sink = Sink()
    ws.sink = sink
    ws.data_received(client_frame(b'42["ping",{}]'))
    assert sink.messages == [b'42["ping",{}]'] and transport.reading


async def test_an_abuser_closed_without_listening_is_not_read_again() -> None:
    transport = Transport()
    ws = WebSocket(transport, max_size=16 * 1024, send_buffer=0)
    sink = Sink()
    ws.sink = sink
    ws.data_received(b"".join(client_frame(b"4x") for _ in range(2000)))  # a backlog
    ws.close(listen=False)
    assert not transport.reading and transport.eof_written
    assert transport.written[-1][:1] == b"\x88"  # the close frame went first
    ws.data_received(client_frame(b"4y"))  # one more read after pause_reading
    for _ in range(10):
        await asyncio.sleep(0)
    assert sink.messages == [] and not transport.reading  # never parsed, never resumed
