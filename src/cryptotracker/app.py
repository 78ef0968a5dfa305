"""Wiring: the only module that knows every part. exchange -> aggregator -> ingest -> bus ->
store + gateway, plus the HTTP API, under one lifespan that owns every task."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from cryptotracker.api import guard
from cryptotracker.api.backend import CandleNotFoundError, CandleUnavailableError
from cryptotracker.api.bodies import Bodies
from cryptotracker.api.candle_cache import CandleCache
from cryptotracker.api.compare import Answer, Comparable, QuoteBoard, ask_all, comparison
from cryptotracker.api.compare import router as compare_router
from cryptotracker.api.headers import HardenedHttp
from cryptotracker.api.health import HealthReport
from cryptotracker.api.rates import Reading, decimal_of, derive_rates
from cryptotracker.api.routes import router
from cryptotracker.api.web import mount_web
from cryptotracker.clock import now_ms
from cryptotracker.gateway.asgi import Lifespan
from cryptotracker.gateway.gcpolicy import GcPolicy
from cryptotracker.gateway.http_server import Forwarded, HttpLimits, HttpServer
from cryptotracker.gateway.limits import AddressBuckets
from cryptotracker.gateway.server import Gateway
from cryptotracker.gateway.subscriptions import CandleKey
from cryptotracker.market.asset_source import AssetMetadataSource, shared_bucket
from cryptotracker.market.binance_rest import RestError
from cryptotracker.market.coingecko_rates import CoinGeckoRates
from cryptotracker.market.connect_budget import LocalConnectBudget
from cryptotracker.metrics import INGEST_ACTIVE
from cryptotracker.pipeline.aggregate import Aggregator, run_batches
from cryptotracker.pipeline.asset_refresh import AssetRefresher
from cryptotracker.pipeline.asset_store import AssetStore
from cryptotracker.pipeline.bus import LocalBus, RedisBus
from cryptotracker.pipeline.connect_budget import SharedConnectBudget
from cryptotracker.pipeline.demand import DemandBoard
from cryptotracker.pipeline.ingest import ExchangeSide, Ingest
from cryptotracker.pipeline.lease import IngestLease
from cryptotracker.pipeline.redis_clients import build as build_redis
from cryptotracker.pipeline.redis_link import CALL_TIMEOUT_S, RedisLink
from cryptotracker.pipeline.store import PriceStore
from cryptotracker.protocol import (
    CandleDict,
    ExchangeComparison,
    FxRates,
    Health,
    Readiness,
    Source,
    SymbolInfo,
)
from cryptotracker.settings import BINANCE_FIAT_QUOTES, Settings
from cryptotracker.token_bucket import TokenBucket

if TYPE_CHECKING:
    from cryptotracker.market.sources import SourceChain

log = structlog.get_logger(__name__)

# Closing the Redis clients on the way out waits at most this long.
CLOSE_TIMEOUT_S = 2.0
# GET /api/rates lists these (when a market or CoinGecko prices them) and whatever else
# CoinGecko's reading covers.
FX_CURRENCIES = ("USD", "GBP", "AUD", *BINANCE_FIAT_QUOTES)


def instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Tracker:
    """Every part of one server instance, built from settings and wired together."""

    def __init__(self, settings: Settings, exchange: ExchangeSide | None = None) -> None:
        self.settings = settings
        self.id = instance_id()
        redis = build_redis(settings, CALL_TIMEOUT_S)
        self.link = RedisLink(redis) if redis is not None else None
        self.store = PriceStore(self.link, settings.cache_ttl_s, self.id)
        self.bus: LocalBus = RedisBus(self.link, self.id) if self.link else LocalBus()
        self.aggregator = Aggregator(self.id)
        self.board = DemandBoard(self.link, self.id)
        self.lease = IngestLease(self.link, self.id, settings.lease_ttl_s) if self.link else None
        self.gateway = Gateway(settings, self.store, self._known_symbols, self._on_demand)
        self.asset_store = AssetStore(self.link, Path(settings.logo_dir))
        self.asset_refresher: AssetRefresher | None = None
        self._chain: SourceChain | None = None
        # One CoinGecko budget for the instance: the fallback price poller and the metadata.
        self.coingecko_bucket = shared_bucket(settings)
        self.ingest = Ingest(
            settings,
            self.id,
            exchange if exchange is not None else self._build_exchange(),
            self.bus,
            self.board,
            self.gateway.set_status,
        )
        self.exchange = self.ingest.exchange
        if settings.asset_metadata:
            demo = settings.exchange == "simulator" and exchange is None
            source = AssetMetadataSource(
                settings, self.coingecko_bucket, base_url=self._coingecko_url,
                label=Source.SIMULATOR if demo else Source.COINGECKO,
            )  # fmt: skip
            self.asset_refresher = AssetRefresher(
                settings, self.asset_store, source, self._tracked_assets,
                lambda: self.ingest.ingesting,
            )  # fmt: skip
        # The store admits each batch (what is news, in memory); then the feed's status, then
        # the clients.
        self.bus.admit_with(self.store.admit)
        self.bus.subscribe(self.ingest.observe)
        self.bus.subscribe(self.gateway.on_batch)
        gateway = self.gateway
        self._gc = GcPolicy(
            lambda: gateway.opened_total,
            lambda: gateway.closed_total,
            settings.gc_freeze_interval_s,
        )
        if self.link is not None:
            self.link.on_up(self.store.resync)
            self.link.on_up(self.asset_store.resync)
        self._known: frozenset[str] = frozenset()
        self._known_from: list[SymbolInfo] | None = None
        self.candle_cache = CandleCache(
            self._klines,
            settings.candle_cache_s,
            settings.candle_cache_entries,
            TokenBucket(
                settings.candle_upstream_per_s, settings.candle_upstream_burst, time.monotonic()
            ),
        )
        self.fx = CoinGeckoRates(
            settings, self._on_fx_reading, url=self._coingecko_url, bucket=self.coingecko_bucket
        )
        self._fx_reading: Reading | None = None
        self.quote_board = QuoteBoard(
            self._quotes,
            settings.compare_cache_s,
            TokenBucket(
                settings.compare_upstream_per_s, settings.compare_upstream_burst, time.monotonic()
            ),
        )
        self.report = HealthReport(
            self.id,
            settings.feed_silence_s,
            self.store,
            self.ingest,
            self.link,
            self.lease,
            lambda: gateway.connections,
        )

    def _build_exchange(self) -> ExchangeSide:
        from cryptotracker.market.binance import BinanceProvider
        from cryptotracker.market.sources import SourceChain
        from cryptotracker.simulator.launch import simulator_process

        settings = self.settings

        def start_simulator() -> contextlib.AbstractAsyncContextManager[tuple[str, str]]:
            return simulator_process(
                settings.simulator_symbols, settings.simulator_rate, quotes=settings.quote_assets
            )

        chain = SourceChain(
            settings, sink=self.aggregator, on_state=lambda *_: self.ingest.feed_changed(),
            start_simulator=start_simulator, coingecko_ids=lambda: self.asset_store.ids,
            coingecko_bucket=self.coingecko_bucket,
        )  # fmt: skip
        if self.link is not None and isinstance(chain.binance, BinanceProvider):
            # Every instance behind the address counts Binance's connection attempts together.
            local = LocalConnectBudget(settings.binance_connects_per_5min)
            chain.binance.connect_budget = SharedConnectBudget(self.link, self.id, local)
        self._chain = chain
        exchange: ExchangeSide = chain
        return exchange

    def _coingecko_url(self) -> str | None:
        # The source chain knows when it is the simulator that serves CoinGecko (demo mode).
        chain = self._chain
        return chain.coingecko_url() if chain is not None else self.settings.coingecko_url

    def _tracked_assets(self) -> list[str]:
        # Coins only: EUR of EURUSDT is a currency (/api/rates), not a coin to look up.
        return sorted({s.base_asset for s in self.exchange.symbols()} - set(FX_CURRENCIES))

    @property
    def ingesting(self) -> bool:
        return self.ingest.ingesting

    # ---- data path ---------------------------------------------------------------------------

    async def _on_demand(self, symbols: frozenset[str], candles: frozenset[CandleKey]) -> None:
        await self.board.put((symbols, candles))

    def _known_symbols(self) -> frozenset[str]:
        # By identity, not length: a refresh that delists one market and lists another keeps
        # the count, and each exchangeInfo reading is a new list.
        symbols = self.exchange.symbols()
        if symbols is not self._known_from:
            self._known_from = symbols
            self._known = frozenset(s.symbol for s in symbols)
        return self._known

    # ---- for the HTTP API (api.backend.Backend) ------------------------------------------------

    def symbols(self) -> list[SymbolInfo]:
        return self.exchange.symbols()

    def source_label(self) -> tuple[str | None, bool]:
        status = self.ingest.status()
        return status.get("source"), status["live"]

    async def candles(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        known = self._known_symbols()
        if known and symbol not in known:
            raise CandleNotFoundError(f"unknown symbol {symbol}")
        return await self.candle_cache.get(symbol, interval, limit)

    async def _klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        try:
            return await self.exchange.klines(symbol, interval, limit)
        except (OSError, RuntimeError) as exc:
            wait = exc.retry_after if isinstance(exc, RestError) else None
            raise CandleUnavailableError(f"candles unavailable: {exc}", wait) from exc

    def rates(self) -> FxRates:
        return derive_rates(
            self.store.get,
            FX_CURRENCIES,
            self._fx_reading,
            now_ms(),
            int(self.settings.fx_market_max_age_s * 1000),
        )

    def _on_fx_reading(self, per_btc: dict[str, Decimal], as_of: int, url: str) -> None:
        # BTCUSDT as the reading arrives: what CoinGecko's BTC-based values are divided by.
        btc = self.store.get("BTCUSDT")
        usdt_per_btc = decimal_of(btc["price"]) if btc else None
        # Anything but the configured CoinGecko is the demo's simulator imitating it.
        source = "coingecko" if url == self.settings.coingecko_url else "simulator"
        self._fx_reading = Reading(per_btc, usdt_per_btc, as_of, source)

    async def compare(self, symbol: str) -> ExchangeComparison:
        known = self._known_symbols()
        if known and symbol not in known:
            raise CandleNotFoundError(f"unknown symbol {symbol}")
        asked = await self.quote_board.get(symbol)
        exchange = self.exchange
        serving = exchange.serving(symbol) if isinstance(exchange, Comparable) else None
        return comparison(symbol, asked, serving, now_ms())

    async def _quotes(self, symbol: str) -> list[Answer]:
        exchange = self.exchange
        links = exchange.quote_links() if isinstance(exchange, Comparable) else []
        return await ask_all(links, symbol, self.settings.compare_timeout_s)

    async def health(self) -> Health:
        return await self.report.health()

    def readiness(self) -> Readiness:
        return self.report.readiness()

    # ---- life cycle --------------------------------------------------------------------------

    async def run(self) -> None:
        """Every background task of the instance; cancelled as one on shutdown."""
        ingest = self.ingest
        async with asyncio.TaskGroup() as tasks:
            if self.link is not None:
                tasks.create_task(self.link.run(), name="redis-link")
            tasks.create_task(self.bus.run(), name="bus")
            if self.link is not None:
                tasks.create_task(self.store.run(), name="store-writer")
            tasks.create_task(self.gateway.run(), name="gateway")
            if self.settings.gc_freeze_interval_s > 0:
                tasks.create_task(self._gc.run(), name="gc")
            tasks.create_task(ingest.supervise(self.lease is not None), name="ingest")
            tasks.create_task(ingest.follow_demand(), name="demand")
            tasks.create_task(ingest.tell_status(), name="status")
            tasks.create_task(self.fx.run(), name="fx-rates")
            tasks.create_task(self.board.refresh(), name="demand-refresh")
            if self.asset_refresher is not None:
                tasks.create_task(self.asset_refresher.run(), name="assets")
            tasks.create_task(self.board.listen(), name="demand-listen")
            if self.lease is not None and self.settings.ingest == "auto":
                tasks.create_task(self.lease.run(ingest.decide), name="lease")
            tasks.create_task(
                run_batches(self.aggregator, self.settings.batch_interval_s, ingest.emit),
                name="batches",
            )

    async def drain(self) -> None:
        """Graceful stop, before the server closes: hand the feed and our demand over to the
        other instances at once, then tell every client why and close it (clients reconnect,
        through the balancer, to a live instance). Bounded by `shutdown_timeout_s`."""
        started = time.monotonic()
        self.report.draining = True  # /health/ready: 503 from now on
        closed = self.gateway.announce_shutdown(
            "server shutting down; reconnect to be served by another instance"
        )
        try:
            async with asyncio.timeout(self.settings.shutdown_timeout_s):
                if self.lease is not None:
                    await self.lease.release()
                self.ingest.decide(False)
                await self.board.remove()
                await self.gateway.flush()
        except TimeoutError:
            log.warning("shutdown_drain_timeout", timeout_s=self.settings.shutdown_timeout_s)
        log.info("shutdown_drained", clients=closed, took_s=round(time.monotonic() - started, 3))

    async def close(self) -> None:
        await self.candle_cache.close()
        await self.quote_board.close()
        if self.lease is not None:
            await self.lease.release()
        if self.link is not None:
            await self.link.close()


def create_app(settings: Settings, tracker: Tracker) -> FastAPI:
    """The HTTP app (FastAPI): routes and the web app at /; its lifespan runs the tracker.
    Socket.IO is not in it: the HTTP server hands /socket.io/ to the gateway's engine."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runner = asyncio.create_task(tracker.run(), name="tracker")
        # Objects alive after start-up live for the process: keep them out of GC generations
        # so full collections stay short with many connections.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            runner.cancel()
            # Bounded: a task that does not end on cancellation must not hold the stop.
            finished, _pending = await asyncio.wait([runner], timeout=CLOSE_TIMEOUT_S)
            if not finished:
                stuck = sorted(t.get_name() for t in asyncio.all_tasks() if not t.done())
                log.warning("tracker_stop_timeout", timeout_s=CLOSE_TIMEOUT_S, tasks=stuck)
            try:
                # Closing Redis clients can wait on a connection another task left mid-read.
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await tracker.close()
            except TimeoutError:
                log.warning("close_timeout", timeout_s=CLOSE_TIMEOUT_S)
            INGEST_ACTIVE.set(0)

    docs = settings.serve_docs
    api = FastAPI(
        title="Crypto Tracker", version="0.1.0", lifespan=lifespan,
        docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )  # fmt: skip
    api.state.backend = tracker
    api.state.bodies = Bodies.create(settings.prices_cache_s)
    exempt = settings.limit_exempt_ips
    guard.install(
        api,
        guard.Guard(
            telemetry=AddressBuckets(settings.telemetry_per_s, settings.telemetry_burst, exempt),
            candles=AddressBuckets(settings.candles_per_s, settings.candles_burst, exempt),
            telemetry_max_bytes=settings.telemetry_max_bytes,
            metrics_allowed=Forwarded(",".join(settings.metrics_allow)).trusted,
        ),
    )
    api.add_middleware(
        CORSMiddleware, allow_origins=settings.allowed_origins, allow_methods=["GET", "POST"],
        allow_headers=["*"],
    )  # fmt: skip
    api.include_router(router)
    api.include_router(compare_router)
    with contextlib.suppress(ImportError):
        from cryptotracker.api.telemetry import router as telemetry_router

        api.include_router(telemetry_router)
    mount_web(api, Path(settings.web_dist))
    # Outermost of ours: HEAD reaches every GET route, and every answer is hardened.
    api.add_middleware(HardenedHttp)
    return api


class Server:
    """One instance on its port: the HTTP server (API, web app, Socket.IO) around a tracker."""

    def __init__(self, settings: Settings, tracker: Tracker | None = None) -> None:
        self.settings = settings
        self.tracker = tracker if tracker is not None else Tracker(settings)
        self.app = create_app(settings, self.tracker)
        self._lifespan = Lifespan(self.app)
        self.http = HttpServer(
            self.app,
            self.tracker.gateway.engine,
            Forwarded(settings.forwarded_allow_ips),
            HttpLimits(
                header_timeout_s=settings.http_header_timeout_s,
                keepalive_s=settings.http_keepalive_s,
                # The largest body any route takes (telemetry): a bigger one is refused from
                # its Content-Length (or as it streams in), before the app reads it.
                max_body=settings.telemetry_max_bytes,
            ),
        )

    @property
    def port(self) -> int:
        return self.http.port

    async def start(self) -> None:
        await self._lifespan.startup()
        await self.http.start(self.settings.host, self.settings.port)
        log.info("listening", host=self.settings.host, port=self.http.port)

    async def stop(self) -> None:
        """Graceful stop: stop accepting, drain the tracker (clients are told and handed over),
        close every session (a transport close, so clients reconnect elsewhere), then the app."""
        await self.http.stop_listening()
        await self.tracker.drain()
        self.tracker.gateway.engine.close_all("server shutdown")
        await self.http.close(timeout_s=1.0)
        await self._lifespan.shutdown()
        # What still runs now is not the tracker's.
        current = asyncio.current_task()
        left = sorted(t.get_name() for t in asyncio.all_tasks() if t is not current)
        log.info("shutdown_complete", instance=self.tracker.id, tasks_left=left)


def run_server(settings: Settings) -> None:
    import signal

    import uvloop

    from cryptotracker.logs import configure_logging
    from cryptotracker.sentry import init_error_tracking, report_to_sentry, set_instance

    tracking = init_error_tracking(settings)
    configure_logging(settings.log_level, report=report_to_sentry if tracking else None)

    async def main() -> None:
        server = Server(settings)
        if server.tracker.link is not None:
            await server.tracker.link.clients.verify()
        set_instance(server.tracker.id)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await server.start()
        await stop.wait()
        log.info("shutdown_requested")
        # A stop that hangs (a peer that never answers, a stuck thread in the loop's teardown)
        # must not outlive the supervisor's patience: past this the process exits anyway.
        deadline = settings.shutdown_timeout_s + 3
        watchdog = threading.Timer(deadline, _forced_exit, args=(deadline,))
        watchdog.daemon = True
        watchdog.start()
        try:
            async with asyncio.timeout(settings.shutdown_timeout_s + 1):
                await server.stop()
        except TimeoutError:
            log.warning("shutdown_timeout", timeout_s=settings.shutdown_timeout_s + 1)
        await _end_leftover_tasks()

    uvloop.run(main())


async def _end_leftover_tasks() -> None:
    """After the stop, what still runs is cancelled; a task that ignores its cancellation
    would hold the loop's teardown (which waits for every task), so then the process exits
    at once: clients, lease and Redis were already dealt with."""
    current = asyncio.current_task()
    leftovers = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in leftovers:
        task.cancel()
    if leftovers:
        await asyncio.wait(leftovers, timeout=0.5)
    stuck = sorted(t.get_name() for t in leftovers if not t.done())
    if stuck:
        log.warning("exit_with_stuck_tasks", tasks=stuck)
        os._exit(0)


def _forced_exit(after_s: float) -> None:
    log.error("shutdown_forced", after_s=after_s)
    os._exit(1)
