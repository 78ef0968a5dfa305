"""The orchestrator's side of the bench's processes: start them pinned to cores, talk to them
(JSON lines), read their CPU time and memory from /proc, and always stop them."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True, slots=True)
class CpuTimes:
    user_s: float
    sys_s: float
    at: float  # monotonic seconds

    @property
    def total_s(self) -> float:
        return self.user_s + self.sys_s


def cpu_times(pid: int) -> CpuTimes:
    """User and system CPU seconds of a process so far (utime, stime of /proc/PID/stat)."""
    raw = Path(f"/proc/{pid}/stat").read_bytes()
    fields = raw[raw.rindex(b")") + 2 :].split()
    return CpuTimes(int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK, time.monotonic())


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (second field of /proc/PID/statm)."""
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def port_open(port: int, timeout: float, proc: Process | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited early:\n{proc.tail()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return
    raise TimeoutError(f"nothing listening on :{port} after {timeout}s")


def pinned(args: Sequence[str], cores: str | None) -> list[str]:
    """Prefix a command with taskset when a core list is given and taskset exists."""
    if cores and shutil.which("taskset"):
        return ["taskset", "-c", cores, *args]
    return list(args)


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


class Process:
    """A child in its own process group, its stdout answering commands (JSON lines) and its
    stderr in a log file; stopped with TERM then KILL."""

    def __init__(self, name: str, proc: asyncio.subprocess.Process, log: Path) -> None:
        self.name = name
        self.proc = proc
        self.log = log
        self._ids = itertools.count(1)

    @classmethod
    async def start(
        cls,
        name: str,
        args: Sequence[str],
        log_dir: Path,
        env: dict[str, str] | None = None,
        commands: bool = True,
    ) -> Process:
        log_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - local, instant
        log = log_dir / f"{name}.log"
        with log.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.PIPE if commands else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE if commands else err,
                stderr=err,
                env={**os.environ, **(env or {})},
                start_new_session=True,
                limit=64 * 2**20,
            )
        child = cls(name, proc, log)
        if commands:
            await child._expect("ready", 60)
        return child

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def alive(self) -> bool:
        return self.proc.returncode is None

    def tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""

    async def _read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        async with asyncio.timeout(timeout):
            line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
        result: dict[str, Any] = orjson.loads(line)
        return result

    async def _expect(self, event: str, timeout: float) -> dict[str, Any]:
        reply = await self._read(timeout)
        if reply.get("event") != event:
            raise RuntimeError(f"{self.name}: expected {event}, got {reply}")
        return reply

    async def call(self, cmd: str, timeout: float = 120, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        ident = next(self._ids)
        self.proc.stdin.write(orjson.dumps({"cmd": cmd, "id": ident, **args}) + b"\n")
        await self.proc.stdin.drain()
        while True:
            reply = await self._read(timeout)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise RuntimeError(f"{self.name} {cmd}: {reply['error']}")
                return reply

    def cpu(self) -> CpuTimes:
        return cpu_times(self.pid)

    def rss(self) -> int:
        return rss_bytes(self.pid)

    async def stop(self, timeout: float = 10) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                async with asyncio.timeout(timeout):
                    await self.proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                await self.proc.wait()
        if self.proc.stdin is not None:
            self.proc.stdin.close()


class Processes:
    """Every child of a scenario; `async with` stops them all, last started first."""

    def __init__(self) -> None:
        self.children: list[Process] = []

    async def start(self, *args: Any, **kwargs: Any) -> Process:
        child = await Process.start(*args, **kwargs)
        self.children.append(child)
        return child

    async def __aenter__(self) -> Processes:
        return self

    async def __aexit__(self, *_: object) -> None:
        for child in reversed(self.children):
            await child.stop()
        self.children.clear()
