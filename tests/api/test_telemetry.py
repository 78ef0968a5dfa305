"""POST /api/telemetry against a real server: validated measurements reach the Prometheus
registry; hostile bodies are bounded, refused without echo, and rate limited per address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from cryptotracker.api.telemetry import MAX_RECONNECTS_PER_REPORT
from cryptotracker.metrics import REGISTRY
from tests.harness import QuietExchange, serve

URL = "/api/telemetry"
JSON = {"content-type": "application/json"}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(exchange=QuietExchange(["BTCUSDT"])) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client


def _value(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


async def test_batch_is_recorded_as_histograms_and_counters(http: httpx.AsyncClient) -> None:
    before = {
        "load": _value("cryptotracker_client_load_seconds_count"),
        "fps": _value("cryptotracker_client_fps_count"),
        "heap": _value("cryptotracker_client_heap_bytes_count"),
        "reconnects": _value("cryptotracker_client_reconnects_total"),
        "lcp": _value("cryptotracker_client_web_vital_seconds_count", {"name": "LCP"}),
        "tti": _value("cryptotracker_client_interactive_seconds_count"),
    }
    body = {
        "loadTimeMs": 850.5,
        "timeToInteractiveMs": 1200,
        "fpsSamples": [59.8, 60, 58.1],
        "heapUsedBytes": [25_000_000, 26_000_000],
        "reconnects": 2,
        "webVitals": {"LCP": 900, "CLS": 0.01, "Mystery": 5},
    }
    response = await http.post(URL, json=body)
    assert response.status_code == 204
    assert _value("cryptotracker_client_load_seconds_count") == before["load"] + 1
    assert _value("cryptotracker_client_interactive_seconds_count") == before["tti"] + 1
    assert _value("cryptotracker_client_fps_count") == before["fps"] + 3
    assert _value("cryptotracker_client_heap_bytes_count") == before["heap"] + 2
    assert _value("cryptotracker_client_reconnects_total") == before["reconnects"] + 2
    lcp = _value("cryptotracker_client_web_vital_seconds_count", {"name": "LCP"})
    assert lcp == before["lcp"] + 1
    # Unknown vital names never become label values.
    vital = "cryptotracker_client_web_vital_seconds_count"
    assert REGISTRY.get_sample_value(vital, {"name": "Mystery"}) is None


async def test_empty_batch_is_accepted(http: httpx.AsyncClient) -> None:
    assert (await http.post(URL, json={})).status_code == 204


async def test_reconnects_are_clamped_to_what_one_page_can_report(http: httpx.AsyncClient) -> None:
    before = _value("cryptotracker_client_reconnects_total")
    assert (await http.post(URL, json={"reconnects": 10_000})).status_code == 204
    after = _value("cryptotracker_client_reconnects_total")
    assert after - before == MAX_RECONNECTS_PER_REPORT


SENTINEL = "Q" * 200
INVALID: list[tuple[str, bytes]] = [
    ("negative", b'{"reconnects": -1}'),
    ("too many samples", orjson.dumps({"fpsSamples": [1.0] * 500})),
    ("unknown field", orjson.dumps({SENTINEL: 1})),
    ("not json", SENTINEL.encode()),
    ("NaN", b'{"loadTimeMs": NaN}'),
    ("1e309", b'{"fpsSamples": [1e309]}'),
    ("Infinity", b'{"webVitals": {"LCP": Infinity}}'),
    ("wrong type", orjson.dumps({"fpsSamples": SENTINEL})),
    # Under the size limit, but every key distinct and long: the dict is refused whole.
    ("many keys", orjson.dumps({"webVitals": {f"{SENTINEL}{i}": i for i in range(250)}})),
]


@pytest.mark.parametrize(("case", "body"), INVALID, ids=[c for c, _ in INVALID])
async def test_invalid_batch_gets_a_small_422_that_never_echoes_its_input(
    http: httpx.AsyncClient, case: str, body: bytes
) -> None:
    response = await http.post(URL, content=body, headers=JSON)
    assert response.status_code == 422, (case, response.text[:300])
    assert len(response.content) < 2048, case
    assert SENTINEL[:100] not in response.text
    detail: list[dict[str, Any]] = response.json()["detail"]
    assert detail and all(set(d) == {"loc", "msg", "type"} for d in detail)


async def test_body_over_the_telemetry_limit_is_413_unparsed(http: httpx.AsyncClient) -> None:
    before = _value("cryptotracker_client_telemetry_batches_total")
    over = b'{"webVitals": {"LCP": 1}, "x": "' + b"y" * (64 * 1024) + b'"}'
    for body in (over, b"z" * (3 * 1024 * 1024)):  # ours, then the HTTP server's 1 MiB
        response = await http.post(URL, content=body, headers=JSON)
        assert response.status_code == 413
        assert len(response.content) < 200
    assert _value("cryptotracker_client_telemetry_batches_total") == before


async def test_posts_over_an_address_rate_get_429_and_other_addresses_are_served() -> None:
    limits: dict[str, Any] = {
        "telemetry_burst": 3, "telemetry_per_s": 0.01, "limit_exempt_ips": [],
    }  # fmt: skip
    async with (
        serve(exchange=QuietExchange(["BTCUSDT"]), **limits) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        noisy = {"x-forwarded-for": "203.0.113.7"}
        codes = [(await http.post(URL, json={}, headers=noisy)).status_code for _ in range(5)]
        assert codes == [204, 204, 204, 429, 429]
        limited = await http.post(URL, json={}, headers=noisy)
        assert int(limited.headers["retry-after"]) >= 1
        quiet = {"x-forwarded-for": "203.0.113.8"}
        assert (await http.post(URL, json={}, headers=quiet)).status_code == 204
