"""Helpers the tests share: free ports, bounded waits, child processes that always get stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a cheap condition until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


async def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Async twin of `wait_until` for conditions that other tasks make true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)


async def wait_async(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


class Proc:
    """A child process in its own process group, stopped (TERM, then KILL) when the test ends."""

    def __init__(self, args: Sequence[str], env: dict[str, str] | None = None, name: str = "proc"):
        ARTIFACTS.mkdir(exist_ok=True)
        self.name = name
        self.log_path = ARTIFACTS / f"{name}-{os.getpid()}-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("wb")
        full_env = {**os.environ, **(env or {})}
        self.popen = subprocess.Popen(
            list(args),
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.alive():
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait(5)
        self._log.close()
        return self.popen.returncode

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.popen.wait(5)


def cli(*args: str) -> list[str]:
    """Command line running our CLI with the interpreter of this test run."""
    return [sys.executable, "-m", "cryptotracker", *args]


@contextlib.contextmanager
def running(
    args: Sequence[str],
    port: int,
    *,
    env: dict[str, str] | None = None,
    name: str = "proc",
    timeout: float = 30.0,
) -> Iterator[Proc]:
    """Start a server process and wait until it listens on `port`."""
    proc = Proc(args, env=env, name=name)
    try:
        wait_until(lambda: port_open(port) or not proc.alive(), timeout, f"{name} on :{port}")
        if not proc.alive():
            raise RuntimeError(f"{name} exited early:\n{proc.log()[-4000:]}")
        yield proc
    finally:
        proc.stop()
