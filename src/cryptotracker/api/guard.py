"""What keeps one HTTP client from hurting the others: per-address rates, bounded bodies, 422s
that never echo their input, and who may read /metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from cryptotracker.gateway.limits import AddressBuckets
from cryptotracker.metrics import REGISTRY

HTTP_LIMITED = Counter(
    "cryptotracker_http_rate_limited_total",
    "HTTP API requests refused with 429 (per-address rate), by route",
    ["route"],
    registry=REGISTRY,
)

# A 422 lists at most this many problems, each path element and message cut to these lengths.
MAX_ERRORS = 10
MAX_LOC_CHARS = 64
MAX_MSG_CHARS = 200


@dataclass(frozen=True, slots=True)
class Guard:
    """The HTTP API's limits (app.state.guard), built from settings in app.py."""

    telemetry: AddressBuckets
    candles: AddressBuckets
    telemetry_max_bytes: int
    metrics_allowed: Callable[[str], bool]


def guard_of(request: Request) -> Guard:
    guard: Guard = request.app.state.guard
    return guard


def client_of(request: Request) -> str:
    """The client's address: the HTTP server already resolved X-Forwarded-For for trusted
    proxies."""
    return request.client.host if request.client else ""


def rate_limited(route: str) -> Callable[[Request], None]:
    """A dependency: 429 with Retry-After when the client's address is over its rate."""

    def check(request: Request) -> None:
        buckets: AddressBuckets = getattr(guard_of(request), route)
        if not buckets.take(client_of(request)):
            HTTP_LIMITED.labels(route).inc()
            raise HTTPException(
                429,
                f"too many {route} requests from this address",
                headers={"Retry-After": str(buckets.retry_after())},
            )

    return check


async def read_bounded(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise HTTPException(413, f"body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Where and what, never the input: a 422 stays small whatever was sent."""
    return [
        {
            "loc": [_short(part) for part in error.get("loc", ())][:8],
            "msg": str(error.get("msg", ""))[:MAX_MSG_CHARS],
            "type": str(error.get("type", ""))[:MAX_LOC_CHARS],
        }
        for error in errors[:MAX_ERRORS]
    ]


def _short(part: object) -> int | str:
    return part if isinstance(part, int) else str(part)[:MAX_LOC_CHARS]


async def _validation_failed(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": validation_details(exc.errors())}, status_code=422)


def install(app: FastAPI, guard: Guard) -> None:
    app.state.guard = guard
    app.add_exception_handler(RequestValidationError, _validation_failed)
