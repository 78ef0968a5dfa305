"""Binance refuses this address from the first request (an IP ban, 418, or a restricted
location, 451): the server still starts, answers /health at once, says why in the feed's
detail, and serves the fallback's prices meanwhile. Real processes: the simulator refusing on
command, the tracker as `cryptotracker serve`."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from cryptotracker.market.binance import BANNED, RESTRICTED
from tests.cluster.kit import simulator, tracker
from tests.support import wait_for

pytestmark = pytest.mark.slow


def status_of(url: str) -> int:
    return httpx.get(url, timeout=5).status_code


@pytest.mark.parametrize(
    ("status", "says", "retry"),
    [(418, BANNED, {"retry_after": "600"}), (451, RESTRICTED, {})],
)
async def test_a_refusal_at_start_up_does_not_keep_the_server_from_serving(
    status: int, says: str, retry: dict[str, Any]
) -> None:
    with simulator() as sim:
        # Every Binance call refused, streams and REST alike; CoinGecko (the fallback) answers.
        sim.fault("rest_status", status=status, **retry)
        sim.fault("ws_status", status=status, **retry)
        started = time.monotonic()
        with tracker(sim, None, "refused") as server:
            listening_s = time.monotonic() - started
            # Answered at once, whatever it has to say.
            assert status_of(f"{server.url}/health") in (200, 503)
            await wait_for(
                lambda: says in server.health()["feed"]["detail"], 15, "health naming the refusal"
            )
            await wait_for(
                lambda: server.health()["source"] == "coingecko", 20, "the fallback's prices"
            )
            # A 451 moves to the fallback at once; the breaker opens after its failures.
            await wait_for(lambda: server.health()["circuit"] == "open", 20, "breaker open")
            await wait_for(
                lambda: server.health()["status"] == "degraded", 10, "the fallback's prices held"
            )
            health = server.health()
            assert health["status"] == "degraded" and health["live"] is False
            assert says in health["feed"]["detail"]
            assert status_of(f"{server.url}/health/ready") == 200
        calls = sim.state()["rest_calls"]
    # Within its limits: a ban is waited out, not hammered (one exchangeInfo per probe at most).
    assert calls.get("exchangeInfo", 0) <= (1 if status == 418 else 10)
    print(f"RESULT refused {status}: listening after {listening_s:.2f} s")
