"""`/health` answers an operator's questions (which instance, who holds the feed, how far Redis
is, how fresh the prices are) and `/health/ready` a balancer's (send traffic here or not)."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.cluster.kit import simulator, tracker
from tests.conftest import PrivateRedis
from tests.support import wait_for

pytestmark = pytest.mark.slow


def status_of(url: str) -> int:
    return httpx.get(url, timeout=5).status_code


def ready(url: str) -> tuple[int, dict[str, object]]:
    reply = httpx.get(f"{url}/health/ready", timeout=5)
    return reply.status_code, dict(reply.json())


async def test_health_names_the_instance_and_the_lease_holder(
    private_redis: PrivateRedis,
) -> None:
    """Two instances on one Redis: each names itself; both name the same lease holder, which
    is the one that says it holds the lease and ingests; Redis latency and price age are
    figures, the source is the exchange's."""
    with (
        simulator() as sim,
        tracker(sim, private_redis.url, "tracker1") as t1,
        tracker(sim, private_redis.url, "tracker2") as t2,
    ):
        await wait_for(lambda: t1.ingesting() != t2.ingesting(), 20, "one ingesting instance")
        await wait_for(
            lambda: all(t.health()["lastUpdateAgeS"] is not None for t in (t1, t2)), 20, "prices"
        )
        reports = [t1.health(), t2.health()]
        assert reports[0]["instance"] != reports[1]["instance"]
        holders = [r for r in reports if r["lease"]["held"]]
        assert len(holders) == 1
        [holder] = holders
        assert holder["ingesting"] is True
        for r in reports:
            assert r["lease"]["holder"] == holder["instance"]
            assert r["ingesting"] == r["lease"]["held"]
            assert 0 < r["redisLatencyMs"] < 500
            assert r["source"] == "binance" and r["circuit"] == "closed"
            assert 0 <= r["lastUpdateAgeS"] < 5
        for t in (t1, t2):
            code, body = ready(t.url)
            assert code == 200 and body["ready"] is True, body

        private_redis.stop()
        await wait_for(lambda: t1.health()["redis"]["status"] == "degraded", 10, "Redis down")
        report = t1.health()
        assert report["redisLatencyMs"] is None
        assert report["lease"] == {"held": False, "holder": None}
        code, body = ready(t1.url)
        assert code == 200 and body["ready"] is True  # serving from memory without Redis


async def test_ready_in_grace_then_503_without_prices() -> None:
    """An instance whose exchange never answers is ready while it starts (the grace period is
    the feed's silence limit, 2 s here), then 503 naming why; one with prices is ready."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # a port nobody listens on: no exchange at all
        dead = closed.getsockname()[1]
    with simulator() as sim:
        nowhere = {
            "CRYPTOTRACKER_BINANCE_WS_URL": f"ws://127.0.0.1:{dead}",
            "CRYPTOTRACKER_BINANCE_REST_URL": f"http://127.0.0.1:{dead}",
            "CRYPTOTRACKER_COINGECKO_URL": f"http://127.0.0.1:{dead}/api/v3",
        }
        with tracker(sim, None, "starved", **nowhere) as starved:
            code, body = ready(starved.url)
            assert code == 200 and str(body["reason"]).startswith("starting"), body
            assert body["instance"] == starved.health()["instance"]
            await wait_for(lambda: ready(starved.url)[0] == 503, 10, "not ready after the grace")
            assert ready(starved.url)[1]["reason"] == "no prices 2 s after start"
            assert status_of(f"{starved.url}/health") == 503
        with tracker(sim, None, "fed") as fed:
            await wait_for(lambda: fed.health()["lastUpdateAgeS"] is not None, 20, "prices")
            code, body = ready(fed.url)
            assert code == 200 and str(body["reason"]).startswith("serving prices"), body


async def test_feed_retry_is_a_countdown_that_counts() -> None:
    """While the exchange is unreachable, /health's feed detail counts down to the next attempt
    from a deadline (the same deadline, less time left, a different text), instead of repeating
    the delay that was planned when the attempt failed."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    with simulator() as sim:
        slow_retry = {
            "CRYPTOTRACKER_BINANCE_WS_URL": f"ws://127.0.0.1:{dead}",
            "CRYPTOTRACKER_BINANCE_REST_URL": f"http://127.0.0.1:{dead}",
            "CRYPTOTRACKER_COINGECKO_URL": f"http://127.0.0.1:{dead}/api/v3",
            "CRYPTOTRACKER_BACKOFF_BASE_MS": "4000",
            "CRYPTOTRACKER_BACKOFF_MAX_MS": "8000",
            "CRYPTOTRACKER_BREAKER_FAILURE_THRESHOLD": "50",
        }
        with tracker(sim, None, "retrying", **slow_retry) as t:
            await wait_for(lambda: (t.health()["feed"].get("retryInS") or 0) > 1.5, 20, "a retry")
            first = t.health()["feed"]
            await wait_for(
                lambda: (t.health()["feed"].get("retryInS") or 99) < first["retryInS"] - 0.5,
                5,
                "the countdown to move",
            )
            second = t.health()["feed"]
    assert second["retryAt"] == first["retryAt"], (first, second)  # one deadline
    assert second["detail"] != first["detail"], (first, second)
    assert "next attempt in" in first["detail"] and "retry" in first["detail"]
    assert second["retryInS"] < first["retryInS"] - 0.5
