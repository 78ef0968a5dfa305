"""Start the market simulator as a child process (demo mode, and the last link of the source
chain) and stop it with its owner, even when the owner is killed (kill -9, OOM killer)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
from collections.abc import AsyncIterator, Sequence

import structlog

log = structlog.get_logger(__name__)

READY_TIMEOUT_S = 20.0
# Run by the child before it becomes the simulator (Linux): ask the kernel to SIGKILL it when
# its parent dies, however that dies (kill -9, the OOM killer); the request survives exec.
# A parent gone before the prctl took effect is caught by comparing the parent pid. Done in
# the child's own code rather than a preexec_fn, which is unsafe in a forking event loop.
_DIE_WITH_PARENT = """
import ctypes, os, signal, sys
PR_SET_PDEATHSIG = 1
if ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
    sys.exit("prctl(PR_SET_PDEATHSIG) failed")
if os.getppid() != int(sys.argv[1]):
    sys.exit("parent gone")
os.execv(sys.executable, [sys.executable, *sys.argv[2:]])
"""


def _die_with_parent(command: list[str]) -> list[str]:
    """`command` (an argv starting with this interpreter) started so that it dies with this
    process; elsewhere than Linux unchanged (stopped on a graceful exit only)."""
    if not sys.platform.startswith("linux"):
        return command
    return [sys.executable, "-c", _DIE_WITH_PARENT, str(os.getpid()), *command[1:]]


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


async def _listening(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection(host, port)
    except OSError:
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


@contextlib.asynccontextmanager
async def simulator_process(
    symbols: int, rate: float, host: str = "127.0.0.1", quotes: Sequence[str] = ("USDT",)
) -> AsyncIterator[tuple[str, str]]:
    """Run `cryptotracker simulate` on a free port; yields (ws_url, rest_url)."""
    port = _free_port(host)
    command = [
        sys.executable, "-m", "cryptotracker", "simulate",
        "--host", host, "--port", str(port), "--symbols", str(symbols), "--rate", str(rate),
        "--quotes", ",".join(quotes),
    ]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *_die_with_parent(command), stdin=asyncio.subprocess.DEVNULL
    )
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            while not await _listening(host, port):
                if proc.returncode is not None:
                    raise RuntimeError(f"simulator exited with {proc.returncode}")
                await asyncio.sleep(0.05)
        log.info("simulator_started", port=port, pid=proc.pid, symbols=symbols, rate=rate)
        yield f"ws://{host}:{port}", f"http://{host}:{port}"
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                async with asyncio.timeout(5):
                    await proc.wait()
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.info("simulator_stopped", port=port)
