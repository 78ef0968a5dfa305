"""Renders one SVG logo in a child process: the SVG on stdin, the PNG on stdout, a refusal as
`reason<TAB>detail` on stderr with exit status 1.

A child process, not a thread: resvg holds the GIL while it renders, so a thread would stall
the event loop, and a thread cannot be stopped; a child can be killed at its deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import sys

from cryptotracker.market.logo_errors import LogoError
from cryptotracker.market.logo_svg import rasterise


async def render_isolated(content: bytes, size: int, timeout: float) -> bytes:
    """`rasterise(content, size)` in a child process killed after `timeout` seconds."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-I", "-m", __name__, str(size),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(child.communicate(content), timeout)
    except TimeoutError:
        raise LogoError("logo_timeout", f"SVG not rendered within {timeout} s") from None
    finally:
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
    if child.returncode != 0:
        reason, _, detail = err.decode("utf-8", "replace").strip().partition("\t")
        if not reason.startswith("logo_svg_"):  # a crash, not a refusal
            reason, detail = "logo_svg_malformed", f"renderer exited {child.returncode}"
        raise LogoError(reason, detail.removeprefix(f"{reason}: ")[:200])
    return out


# A checked SVG renders in tens of megabytes; a `<use>` chain that multiplies its elements
# must fail here (an allocation failure ends the child) rather than swap the host.
MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024


def main() -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    try:
        png = rasterise(sys.stdin.buffer.read(), int(sys.argv[1]))
    except LogoError as exc:
        sys.stderr.write(f"{exc.reason}\t{exc}")
        return 1
    sys.stdout.buffer.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
