"""Probes read their sockets with recvmsg so each read carries the kernel's arrival time: the
stamp must be there, lie between the send and the read, and the connection must behave like
the asyncio transport it stands in for."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from cryptotracker_bench.stamped import StampedTransport, arrival, kernel_stamps_supported

pytestmark = pytest.mark.skipif(not kernel_stamps_supported(), reason="Linux socket stamps")


class Recorder(asyncio.Protocol):
    def __init__(self) -> None:
        self.arrived = 0.0
        self.reads: list[tuple[float, bytes]] = []
        self.got = asyncio.Event()
        self.lost = asyncio.Event()

    def data_received(self, data: bytes) -> None:
        self.reads.append((self.arrived, data))
        self.got.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost.set()


async def test_each_read_carries_the_kernel_arrival_time() -> None:
    loop = asyncio.get_running_loop()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.setblocking(False)
        accepting = loop.create_task(loop.sock_accept(listener))
        recorder = Recorder()
        transport = await StampedTransport.connect("127.0.0.1", listener.getsockname()[1], recorder)
        server, _ = await asyncio.wait_for(accepting, 5)
        with server:
            sent_at = time.time()
            server.sendall(b"hello")
            await asyncio.wait_for(recorder.got.wait(), 5)
            read_at = time.time()
            ((arrived, data),) = recorder.reads
            assert data == b"hello"
            assert sent_at - 0.001 <= arrived <= read_at
            transport.write(b"back")
            assert server.recv(16) == b"back"
            transport.close()
            await asyncio.wait_for(recorder.lost.wait(), 5)
            assert transport.is_closing()


def test_no_control_message_means_no_stamp() -> None:
    assert arrival([]) == 0.0
