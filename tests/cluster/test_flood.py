"""A hostile client floods a tracker process while a normal user watches prices."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time

import pytest

from tests.cluster.kit import Watcher, record, simulator, tracker, watching
from tests.support import ROOT, wait_for

pytestmark = pytest.mark.slow
SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
ATTACK_S = 4.0


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def test_flooding_client_is_refused_and_others_do_not_notice() -> None:
    """The attacker (thousands of subscribes, a 200 KB message, invalid JSON, unknown events,
    over and over for 4 s) gets `error` events and is disconnected; the user next to it keeps
    getting every batch with the latency it had before."""
    with simulator() as sim, tracker(sim, None) as server:
        user = Watcher(SYMBOLS)
        async with watching(user):
            await user.connect(server.url)
            await wait_for(lambda: len(user.latencies) >= 40, 20, "baseline latencies")
            baseline = [lat for _, lat in user.latencies]

            started = time.monotonic()
            ws_url = server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
            attacker = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.cluster.flood_client", ws_url, str(ATTACK_S),
                cwd=ROOT, stdout=subprocess.PIPE,
            )  # fmt: skip
            async with asyncio.timeout(ATTACK_S + 60):
                out, _ = await attacker.communicate()
            ended = time.monotonic()
            during = [lat for at, lat in user.latencies if started <= at <= ended]
            gap = user.longest_gap(started, ended)

            assert attacker.returncode == 0
            summary = json.loads(out.decode().strip().splitlines()[-1])
            rounds = summary["rounds"]
            flood, oversized, junk = (
                summary["subscribe_flood"],
                summary["oversized"],
                summary["junk"],
            )
            assert flood.get("rate_limited", 0) >= rounds
            assert flood.get("closed_by_server", 0) + flood.get("socketio_disconnect", 0) >= rounds
            assert oversized.get("closed_by_server", 0) == rounds
            assert junk.get("invalid_payload", 0) >= 2 * rounds
            assert junk.get("unknown_event", 0) >= rounds and junk.get("rate_limited", 0) >= rounds
            assert not flood.get("still_open") and not junk.get("still_open")

            assert len(user.connects) == 1 and not user.errors
            assert len(during) >= 0.5 * (ended - started) / 0.1  # most 100 ms batches arrived
            health = server.health()
            assert health["connections"] == 1  # every attacker connection is gone
    base_p50, base_p95 = statistics.median(baseline), p95(baseline)
    flood_p50, flood_p95 = statistics.median(during), p95(during)
    record(
        "client flood (subscribe x5000, 200 KB message, invalid JSON, unknown events)",
        attacker_rounds=rounds,
        user_latency_p50_before_s=base_p50,
        user_latency_p95_before_s=base_p95,
        user_latency_p50_during_s=flood_p50,
        user_latency_p95_during_s=flood_p95,
        user_longest_pause_during_s=gap,
    )
    # "Not measurably": within one batch interval (100 ms) of what the user had before.
    assert flood_p95 <= base_p95 + 0.1
    assert gap < 0.5
