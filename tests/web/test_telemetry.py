"""POST /api/telemetry: validated client measurements end up in the Prometheus registry."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from cryptotracker.api.telemetry import router
from cryptotracker.metrics import REGISTRY


def _client() -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def _value(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_batch_is_recorded_as_histograms_and_counters() -> None:
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
    response = _client().post("/api/telemetry", json=body)
    assert response.status_code == 204
    assert _value("cryptotracker_client_load_seconds_count") == before["load"] + 1
    assert _value("cryptotracker_client_interactive_seconds_count") == before["tti"] + 1
    assert _value("cryptotracker_client_fps_count") == before["fps"] + 3
    assert _value("cryptotracker_client_heap_bytes_count") == before["heap"] + 2
    assert _value("cryptotracker_client_reconnects_total") == before["reconnects"] + 2
    lcp = _value("cryptotracker_client_web_vital_seconds_count", {"name": "LCP"})
    assert lcp == before["lcp"] + 1
    # Unknown vital names never become label values.
    assert (
        REGISTRY.get_sample_value(
            "cryptotracker_client_web_vital_seconds_count", {"name": "Mystery"}
        )
        is None
    )


def test_invalid_batches_are_refused() -> None:
    client = _client()
    assert client.post("/api/telemetry", json={"reconnects": -1}).status_code == 422
    assert client.post("/api/telemetry", json={"fpsSamples": [1.0] * 500}).status_code == 422
    assert client.post("/api/telemetry", json={"surprise": 1}).status_code == 422
    assert client.post("/api/telemetry", content=b"not json").status_code == 422


def test_empty_batch_is_accepted() -> None:
    assert _client().post("/api/telemetry", json={}).status_code == 204
