"""A hostile client, run as its own process by the flood test (so its CPU is not the observer's):
raw Engine.IO/Socket.IO over a WebSocket, for a bounded time and number of rounds. Prints one
JSON summary line: what the server answered and how it ended each connection.

    python -m tests.cluster.flood_client WS_URL SECONDS
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable

import websockets
from websockets.asyncio.client import ClientConnection

MAX_ROUNDS = 40


async def _session(url: str, attack: Callable[[ClientConnection], Awaitable[None]]) -> Counter[str]:
    """One connection: handshake, the attack, then read replies until the server closes it or
    a second passes in silence. Counts error codes and how the connection ended."""
    seen: Counter[str] = Counter()
    async with asyncio.timeout(15), websockets.connect(url, max_size=2**22) as ws:
        assert str(await ws.recv()).startswith("0{")
        await ws.send("40")
        while not str(await ws.recv()).startswith("40"):
            pass
        sender = asyncio.create_task(attack(ws))
        try:
            while True:
                try:
                    async with asyncio.timeout(1.0):
                        frame = str(await ws.recv())
                except TimeoutError:
                    seen["still_open"] += 1
                    break
                if frame == "2":
                    await ws.send("3")  # Engine.IO heartbeat
                elif frame.startswith('42["error"'):
                    seen[json.loads(frame[2:])[1]["data"]["code"]] += 1
                elif frame.startswith("41"):
                    seen["socketio_disconnect"] += 1
        except websockets.ConnectionClosed:
            seen["closed_by_server"] += 1
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
    return seen


async def _subscribe_flood(ws: ClientConnection) -> None:
    for i in range(5000):
        await ws.send(f'42{i}["subscribe",{{"symbols":["BTCUSDT","ETHUSDT"]}}]')


async def _oversized(ws: ClientConnection) -> None:
    await ws.send('42["subscribe",{"symbols":["' + "A" * 200_000 + '"]}]')


async def _junk(ws: ClientConnection) -> None:
    await ws.send('42["subscribe",{"symbols":[')  # invalid JSON
    await ws.send('42["transfer_funds",{"to":"me"}]')  # unknown event
    await ws.send("42not json at all")
    for _ in range(3000):
        await ws.send('42["transfer_funds",{}]')


async def main(url: str, seconds: float) -> dict[str, object]:
    totals: dict[str, Counter[str]] = {"subscribe_flood": Counter(), "oversized": Counter(),
                                       "junk": Counter()}  # fmt: skip
    attacks = {"subscribe_flood": _subscribe_flood, "oversized": _oversized, "junk": _junk}
    deadline = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < deadline and rounds < MAX_ROUNDS:
        rounds += 1
        for name, attack in attacks.items():
            totals[name] += await _session(url, attack)
    return {"rounds": rounds, **{k: dict(v) for k, v in totals.items()}}


if __name__ == "__main__":
    summary = asyncio.run(main(sys.argv[1], float(sys.argv[2])))
    print(json.dumps(summary), flush=True)
