"""Fixtures shared by every test package: real Redis, private Redis servers, free ports."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from tests.support import free_port, running

pytest_plugins = ["tests.simulator.fixtures"]

# Another database (TEST_REDIS_URL) keeps suites run side by side on one machine apart: each
# test empties the database it uses.
SHARED_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """The machine's Redis (database 9, emptied before and after the test)."""
    client = aioredis.from_url(SHARED_REDIS_URL)
    try:
        await client.ping()
    except OSError as exc:  # pragma: no cover - the machine's Redis must run
        pytest.fail(f"Redis at {SHARED_REDIS_URL} is not reachable: {exc}")
    await client.flushdb()
    yield SHARED_REDIS_URL
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A redis-server of the test's own on a free port, for tests that stop or restart Redis."""
    server = PrivateRedis()
    try:
        server.start()
        yield server
    finally:
        server.stop()


class PrivateRedis:
    def __init__(self) -> None:
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.exe = exe
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._ctx: object | None = None
        self._proc = None

    def start(self) -> None:
        args = [
            self.exe,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        ctx = running(args, self.port, name="redis")
        self._proc = ctx.__enter__()
        self._ctx = ctx

    def stop(self) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(None, None, None)  # type: ignore[attr-defined]
            self._ctx = None

    def restart(self) -> None:
        self.stop()
        self.start()
