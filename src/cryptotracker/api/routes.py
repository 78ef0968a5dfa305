"""HTTP routes: health, Prometheus metrics, symbols, prices, currency rates, candles, coin
metadata and logos."""

from __future__ import annotations

import hashlib
import math
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from cryptotracker.api.backend import Backend, CandleNotFoundError, CandleUnavailableError
from cryptotracker.api.bodies import Bodies, json_response
from cryptotracker.api.candle_cache import MAX_LIMIT
from cryptotracker.api.guard import client_of, guard_of, rate_limited
from cryptotracker.clock import now_ms
from cryptotracker.metrics import ASSET_METADATA_UPDATED, NEWEST_PRICE, REGISTRY
from cryptotracker.pipeline.asset_store import COIN_ID_RE, etag_of
from cryptotracker.protocol import (
    SYMBOL_PATTERN,
    AssetList,
    CandleInterval,
    CandleList,
    FxRates,
    Health,
    PriceList,
    PriceUpdate,
    Readiness,
    SymbolList,
)

router = APIRouter()
# Rates move with their markets, but a page reading them again within seconds gains nothing.
RATES_CACHE = "public, max-age=5"
SymbolParam = Annotated[str, Path(pattern=SYMBOL_PATTERN, description="e.g. BTCUSDT")]
CoinIdParam = Annotated[str, Path(pattern=COIN_ID_RE.pattern, description="e.g. bitcoin")]
# The metadata changes every few minutes: a minute in the browser, then a 304 to revalidate.
ASSETS_CACHE = "public, max-age=60"
# A coin's logo changes about never; a day bounds how long a replaced one lingers.
LOGO_CACHE = "public, max-age=86400"


def _backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def _bodies(request: Request) -> Bodies:
    bodies: Bodies = request.app.state.bodies
    return bodies


@router.get("/health", response_model=Health, tags=["operations"])
async def health(request: Request) -> JSONResponse:
    """200 while the server can serve prices (live or not), 503 when it cannot."""
    report = await _backend(request).health()
    code = 503 if report.status == "down" else 200
    return JSONResponse(report.model_dump(mode="json", by_alias=True), status_code=code)


@router.get("/health/ready", response_model=Readiness, tags=["operations"])
async def ready(request: Request) -> JSONResponse:
    """For load balancers and Kubernetes: 200 when this instance should get traffic, 503 when
    not (shutting down, or no fresh prices once the start-up grace period is over)."""
    report = _backend(request).readiness()
    code = 200 if report.ready else 503
    return JSONResponse(report.model_dump(mode="json", by_alias=True), status_code=code)


@router.get("/metrics", tags=["operations"], response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus metrics, for the addresses of `metrics_allow` only (403 for others)."""
    if not guard_of(request).metrics_allowed(client_of(request)):
        raise HTTPException(403, "metrics are not served to this address")
    # Read at scrape time: the store knows its newest price, and an alert on its age must see
    # a feed that stopped (a gauge set only on updates would freeze at the last good value).
    newest = _backend(request).store.newest_time()
    NEWEST_PRICE.set(0 if newest is None else newest / 1000)
    updated = _backend(request).asset_store.updated_at
    ASSET_METADATA_UPDATED.set(0 if updated is None else updated / 1000)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/api/symbols", response_model=SymbolList, tags=["market"])
async def symbols(request: Request) -> Response:
    """Every listed market; encoded once per listing (api/bodies.py), gzipped when accepted."""
    listed = _backend(request).symbols()

    def build() -> bytes:
        return orjson.dumps({"symbols": [s.model_dump(by_alias=True) for s in listed]})

    body = await _bodies(request).symbols.get(listed, build)
    return json_response(body, request.headers.get("accept-encoding"))


@router.get("/api/prices", response_model=PriceList, tags=["market"])
async def prices(request: Request) -> Response:
    """Every known market's latest state; encoded at most every `prices_cache_s` (and after a
    delisting) and served to every request meanwhile, gzipped when accepted."""
    backend = _backend(request)

    def build() -> bytes:
        source, live = backend.source_label()
        return orjson.dumps(
            {
                "prices": sorted(backend.store.all(), key=lambda u: u["symbol"]),
                "timestamp": now_ms(),
                "source": source,
                "live": live,
                "build": getattr(request.app.state, "web_build", None),
            }
        )

    body = await _bodies(request).prices.get(backend.store.removals, build)
    return json_response(body, request.headers.get("accept-encoding"))


@router.get("/api/rates", response_model=FxRates, tags=["market"])
async def rates(request: Request) -> Response:
    """What one USDT buys in each currency, each rate with its source and as_of (a page shows
    how old it is). Cached for 5 s; the weak ETag covers the rates, not the answer's time."""
    answer = _backend(request).rates()
    rows = [rate.model_dump(by_alias=True) for rate in answer.rates]
    tag = 'W/"' + hashlib.blake2b(orjson.dumps(rows), digest_size=8).hexdigest() + '"'
    headers = {"ETag": tag, "Cache-Control": RATES_CACHE}
    if _none_match(request.headers.get("if-none-match"), tag.removeprefix("W/")):
        return Response(status_code=304, headers=headers)
    body = {"base": answer.base, "rates": rows, "timestamp": answer.timestamp}
    return Response(orjson.dumps(body), media_type="application/json", headers=headers)


@router.get("/api/prices/{symbol}", response_model=PriceUpdate, tags=["market"])
async def price(request: Request, symbol: SymbolParam) -> dict[str, Any]:
    update = _backend(request).store.get(symbol)
    if update is None:
        raise HTTPException(404, f"no price for {symbol}")
    return dict(update)


@router.get(
    "/api/candles/{symbol}",
    response_model=CandleList,
    tags=["market"],
    dependencies=[Depends(rate_limited("candles"))],
)
async def candles(
    request: Request,
    symbol: SymbolParam,
    interval: CandleInterval = "1m",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 500,
) -> Response:
    """The newest `limit` candles, oldest first. The rows are wire-shaped already (the market
    side's normaliser): encoded as they are, not validated again per request."""
    try:
        rows = await _backend(request).candles(symbol, interval, limit)
    except CandleNotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    except CandleUnavailableError as exc:
        wait = max(1, math.ceil(exc.retry_after_s or 1))
        raise HTTPException(503, str(exc), headers={"Retry-After": str(wait)}) from exc
    body = {"symbol": symbol, "interval": interval, "candles": rows}
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/api/assets", response_model=AssetList, tags=["market"])
async def assets(request: Request) -> Response:
    """Every tracked coin's metadata (name, logo, rank, market cap, supplies, 1 h / 7 d / 30 d
    change, 7-day sparkline); unknown figures are null. Strong ETag: a matching If-None-Match
    gets 304."""
    store = _backend(request).asset_store
    if "gzip" not in request.headers.get("accept-encoding", ""):
        return _cached(request, store.body, store.etag, "application/json", ASSETS_CACHE)
    reply = _cached(request, store.gzipped, store.gzip_etag, "application/json", ASSETS_CACHE)
    reply.headers["Content-Encoding"] = "gzip"
    return reply


@router.get("/api/logos/{coin_id}", tags=["market"], response_class=Response)
async def logo(request: Request, coin_id: CoinIdParam) -> Response:
    """A coin's logo as we hold it (a sanitised PNG, served from our own origin); 404 when we
    hold none (the page shows a placeholder)."""
    png = await _backend(request).asset_store.logo(coin_id)
    if png is None:
        raise HTTPException(404, f"no logo for {coin_id}")
    return _cached(request, png, etag_of(png), "image/png", LOGO_CACHE)


def _cached(
    request: Request, body: bytes, etag: str, media_type: str, cache_control: str
) -> Response:
    headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    if _none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


def _none_match(header: str | None, etag: str) -> bool:
    """If-None-Match matches (RFC 9110 13.1.2: weak comparison, so a W/ prefix is ignored)."""
    if header is None:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags
