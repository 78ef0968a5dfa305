"""Start the market simulator as a child process (demo mode, and the last link of the source
chain) and stop it with its owner, even when the owner is killed (kill -9, OOM killer)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable

import structlog

log = structlog.get_logger(__name__)

READY_TIMEOUT_S = 20.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A preexec function for the child: the kernel sends it SIGKILL when this process dies,
    however it dies (prctl PR_SET_PDEATHSIG; Linux only, elsewhere None: the child is stopped
    on a graceful exit only). The signal follows the forking thread: we fork from the event
    loop's thread, which lives as long as the process. A parent already gone before the prctl
    took effect is caught by comparing the parent pid."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != parent:
            os._exit(1)

    return preexec


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
    symbols: int, rate: float, host: str = "127.0.0.1"
) -> AsyncIterator[tuple[str, str]]:
    """Run `cryptotracker simulate` on a free port; yields (ws_url, rest_url)."""
    port = _free_port(host)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cryptotracker", "simulate",
        "--host", host, "--port", str(port), "--symbols", str(symbols), "--rate", str(rate),
        stdin=asyncio.subprocess.DEVNULL, preexec_fn=_die_with_parent(os.getpid()),
    )  # fmt: skip
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
