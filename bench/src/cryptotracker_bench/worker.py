"""The child side of the bench's process protocol: JSON commands in on stdin, one per line, and
JSON replies out on stdout. Every child (load generator, control clients, references) runs its
handlers on its own event loop and exits on `quit` or when stdin closes."""

from __future__ import annotations

import asyncio
import resource
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import orjson

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def raise_fd_limit() -> int:
    """Soft limit of open files up to the hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def load_config(path: str) -> dict[str, Any]:
    """A child's configuration: the JSON file the orchestrator wrote for it."""
    with open(path, "rb") as f:
        config: dict[str, Any] = orjson.loads(f.read())
    return config


def reply(obj: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
    sys.stdout.buffer.flush()


async def serve_commands(handlers: dict[str, Handler]) -> None:
    """Answer commands until `quit` or end of input. A handler's reply gets the command's `id`."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 2**20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    reply({"event": "ready"})
    while True:
        line = await reader.readline()
        if not line:
            return
        command = orjson.loads(line)
        name = command.get("cmd")
        if name == "quit":
            reply({"id": command.get("id"), "event": "bye"})
            return
        handler = handlers.get(name)
        if handler is None:
            reply({"id": command.get("id"), "error": f"unknown command {name!r}"})
            continue
        try:
            result = await handler(command)
        except Exception as exc:  # report to the orchestrator rather than dying silently
            result = {"error": f"{type(exc).__name__}: {exc}"}
        reply({"id": command.get("id"), **result})


def run(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a child's main coroutine on uvloop (the cheapest loop per socket here)."""
    raise_fd_limit()
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:  # pragma: no cover - uvloop is a dependency
        asyncio.run(main())
