"""Client telemetry: the browser's own measurements (load, time to interactive, FPS, JS heap,
reconnections, web vitals), validated and exported with the server's Prometheus metrics.
Untrusted input: the body is bounded before it is parsed, the schema is fixed and finite, and
counters are clamped to what one page can report."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from prometheus_client import Counter, Histogram
from pydantic import ValidationError

from cryptotracker.api.guard import guard_of, rate_limited, read_bounded
from cryptotracker.metrics import REGISTRY
from cryptotracker.protocol import TelemetryBatch

router = APIRouter()

_PAGE_SECONDS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 60.0)

CLIENT_LOAD = Histogram(
    "cryptotracker_client_load_seconds",
    "Page load time (navigation start to load event end) reported by browsers",
    buckets=_PAGE_SECONDS,
    registry=REGISTRY,
)
CLIENT_INTERACTIVE = Histogram(
    "cryptotracker_client_interactive_seconds",
    "Navigation start to the first live prices on screen, reported by browsers",
    buckets=_PAGE_SECONDS,
    registry=REGISTRY,
)
CLIENT_FPS = Histogram(
    "cryptotracker_client_fps",
    "Frames per second sampled in browsers while prices update",
    buckets=(5, 10, 15, 20, 25, 30, 40, 50, 55, 58, 60, 75, 90, 120, 144),
    registry=REGISTRY,
)
CLIENT_HEAP = Histogram(
    "cryptotracker_client_heap_bytes",
    "Used JS heap sampled in browsers that expose it",
    buckets=tuple(
        float(mb * 1024 * 1024) for mb in (8, 16, 32, 48, 64, 96, 128, 192, 256, 512, 1024)
    ),
    registry=REGISTRY,
)
CLIENT_RECONNECTS = Counter(
    "cryptotracker_client_reconnects_total",
    "Socket.IO reconnections reported by browsers",
    registry=REGISTRY,
)
CLIENT_WEB_VITAL = Histogram(
    "cryptotracker_client_web_vital_seconds",
    "Core web vitals with a time unit (FCP, LCP, TTFB, INP), reported by browsers",
    ["name"],
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.5, 2.5, 4.0, 6.0, 10.0, 20.0),
    registry=REGISTRY,
)
CLIENT_CLS = Histogram(
    "cryptotracker_client_cumulative_layout_shift",
    "Cumulative layout shift reported by browsers",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0),
    registry=REGISTRY,
)
CLIENT_BATCHES = Counter(
    "cryptotracker_client_telemetry_batches_total",
    "Telemetry batches accepted from browsers",
    registry=REGISTRY,
)

# Label values are fixed so a client cannot grow the metric's series.
TIMED_VITALS = frozenset({"FCP", "LCP", "TTFB", "INP"})
MAX_FPS = 1000.0
MAX_HEAP_BYTES = 64 * 1024**3
# A page reports every 30 s; socket.io-client waits at least 1 s between reconnections.
MAX_RECONNECTS_PER_REPORT = 60


def record(batch: TelemetryBatch) -> None:
    """Observe one batch; values outside what a browser can report are dropped."""
    CLIENT_BATCHES.inc()
    if batch.load_time_ms is not None:
        CLIENT_LOAD.observe(batch.load_time_ms / 1000)
    if batch.time_to_interactive_ms is not None:
        CLIENT_INTERACTIVE.observe(batch.time_to_interactive_ms / 1000)
    for fps in batch.fps_samples:
        if 0 <= fps <= MAX_FPS:
            CLIENT_FPS.observe(fps)
    for heap in batch.heap_used_bytes:
        if 0 <= heap <= MAX_HEAP_BYTES:
            CLIENT_HEAP.observe(heap)
    if batch.reconnects:
        CLIENT_RECONNECTS.inc(min(batch.reconnects, MAX_RECONNECTS_PER_REPORT))
    for name, value in batch.web_vitals.items():
        if value < 0:
            continue
        if name in TIMED_VITALS and value <= 600_000:
            CLIENT_WEB_VITAL.labels(name).observe(value / 1000)
        elif name == "CLS" and value <= 100:
            CLIENT_CLS.observe(value)


_BODY = {"content": {"application/json": {"schema": TelemetryBatch.model_json_schema()}}}


@router.post(
    "/api/telemetry",
    status_code=204,
    tags=["operations"],
    response_class=Response,
    dependencies=[Depends(rate_limited("telemetry"))],
    openapi_extra={"requestBody": {**_BODY, "required": True}},
)
async def telemetry(request: Request) -> Response:
    """Accept a batch of client measurements (TelemetryBatch): 413 over the size limit, 422 when
    it does not validate, 429 over the address's rate."""
    body = await read_bounded(request, guard_of(request).telemetry_max_bytes)
    try:
        batch = TelemetryBatch.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None
    record(batch)
    return Response(status_code=204)
