"""The source chain, as one exchange side for the app: the live exchanges of
`settings.source_order` (Binance -> Coinbase -> Kraken by default), then CoinGecko, then the
simulator.

- Per market: each market is served by the first healthy live link that lists it
  (`routing.py`: a 451 moves a link's markets at once, another failure once its breaker
  opens); a lower link is demanded only the markets the higher ones cannot serve now, and
  runs only while it has something to do. Of every link's updates only the serving link's
  reach the sink (`gate.py`), so one row never mixes exchanges; when a better link recovers,
  its markets move back to it.
- While no live link is healthy, CoinGecko is polled (labelled coingecko). If it fails
  `coingecko_failure_threshold` times in a row and the simulator is in the order with
  `simulator_fallback` on, the simulator is started through the injected `start_simulator`
  and read by a `BinanceProvider` labelled simulator; it stops again when CoinGecko answers.
- `settings.exchange == "simulator"` (demo mode): only the simulator link, labelled simulator.

The status names the main serving source (the highest link whose data flows) and whether it
is live; every price carries its own source.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Final, Protocol

import structlog

from cryptotracker.backoff import Backoff
from cryptotracker.clock import now_ms
from cryptotracker.market.binance import BinanceProvider
from cryptotracker.market.breaker import CircuitState
from cryptotracker.market.coinbase import CoinbaseProvider
from cryptotracker.market.coingecko import QUOTE, CoinGeckoProvider
from cryptotracker.market.feed import (
    FeedSink,
    FeedState,
    FeedStateListener,
    MarketUnavailableError,
)
from cryptotracker.market.gate import SourceGate
from cryptotracker.market.kraken import KrakenProvider
from cryptotracker.market.link import PriceLink, QuoteDict
from cryptotracker.market.routing import (
    Demand,
    LinkView,
    main_source,
    routes,
    shares,
    should_run,
)
from cryptotracker.protocol import (
    LIVE_SOURCES,
    MAX_HALTED,
    CandleDict,
    ConnectionState,
    Source,
    StatusDict,
    SymbolInfo,
)
from cryptotracker.settings import Settings
from cryptotracker.token_bucket import TokenBucket

log = structlog.get_logger(__name__)

StartSimulator = Callable[[], AbstractAsyncContextManager[tuple[str, str]]]
# Errors of starting the simulator process that are worth a retry.
_START_ERRORS = (OSError, RuntimeError, TimeoutError)
# Routes are checked this often besides every change a link reports (a listing can change
# without one).
STEER_EVERY_S: Final = 0.5
NAMES: Final = {
    Source.BINANCE: "Binance",
    Source.COINBASE: "Coinbase",
    Source.KRAKEN: "Kraken",
    Source.COINGECKO: "CoinGecko",
    Source.SIMULATOR: "the simulator",
}
_NOTHING: Final[Demand] = (frozenset(), frozenset())


class LinkFactory(Protocol):
    """How the chain builds a live link (the providers' constructors)."""

    def __call__(
        self,
        settings: Settings,
        sink: FeedSink,
        *,
        source: Source,
        on_state: FeedStateListener | None,
        clock: Callable[[], float],
    ) -> PriceLink: ...


def default_links() -> dict[Source, LinkFactory]:
    """The providers of the live exchanges."""
    return {
        Source.BINANCE: BinanceProvider,
        Source.COINBASE: CoinbaseProvider,
        Source.KRAKEN: KrakenProvider,
    }


@dataclass(eq=False)
class _Link:
    """A live link and what the chain has done with it."""

    provider: PriceLink
    task: asyncio.Task[None] | None = None
    applied: Demand | None = None  # the demand it was last given
    listed_from: list[SymbolInfo] | None = None
    listed: frozenset[str] | None = None

    def view(self) -> LinkView:
        provider = self.provider
        symbols = provider.symbols()
        if symbols is not self.listed_from:  # each reading of the listing is a new list
            self.listed_from = symbols
            self.listed = frozenset(s.symbol for s in symbols) if symbols else None
        state = provider.state
        return LinkView(provider.source, provider.breaker.state, state.restricted, self.listed)


class SourceChain:
    """Runs the links the chain needs now; splits demand; reports one status."""

    def __init__(
        self,
        settings: Settings,
        sink: FeedSink,
        *,
        on_state: FeedStateListener | None = None,
        start_simulator: StartSimulator | None = None,
        links: Mapping[Source, LinkFactory] | None = None,
        clock: Callable[[], float] = time.monotonic,
        coingecko_ids: Callable[[], Mapping[str, str]] | None = None,
        coingecko_bucket: TokenBucket | None = None,
    ) -> None:
        self.settings = settings
        # The coin metadata's ticker -> id mapping and the instance's one CoinGecko budget.
        self._coingecko_ids = coingecko_ids
        self._coingecko_bucket = coingecko_bucket
        self._on_state = on_state
        self._start_simulator = start_simulator
        self._clock = clock
        self.demo = settings.exchange == "simulator"
        if self.demo and start_simulator is None:
            raise ValueError("demo mode needs a start_simulator")
        order = [Source(name) for name in settings.source_order]
        factories = default_links() if links is None else links
        self._gate = SourceGate(sink, [*order, Source.SIMULATOR], self._listed_elsewhere)
        self.links: dict[Source, _Link] = {}
        for source in [] if self.demo else [s for s in order if s in LIVE_SOURCES]:
            factory = factories.get(source)
            if factory is None:
                log.warning("source_unavailable", source=source.value, why="no provider")
                continue
            provider = factory(
                settings,
                self._gate.sink_for(source),
                source=source,
                on_state=self._on_link_state,
                clock=clock,
            )
            provider.breaker.add_listener(lambda _old, _new: self._changed())
            self.links[source] = _Link(provider)
        self.use_coingecko = not self.demo and Source.COINGECKO in order
        self.use_simulator = (
            Source.SIMULATOR in order
            and settings.simulator_fallback
            and start_simulator is not None
        )
        self.coingecko: CoinGeckoProvider | None = None
        self.simulator: BinanceProvider | None = None
        self._coingecko_task: asyncio.Task[None] | None = None
        self._simulator_task: asyncio.Task[None] | None = None
        self._tasks: asyncio.TaskGroup | None = None
        self._wake = asyncio.Event()
        self._demand: Demand = _NOTHING
        self._symbols_key: tuple[int, ...] = ()
        self._symbols: list[SymbolInfo] = []
        self._reported: StatusDict | None = None

    @property
    def binance(self) -> PriceLink | None:
        link = self.links.get(Source.BINANCE)
        return None if link is None else link.provider

    # ---- the app's interface --------------------------------------------------------------------

    async def run(self) -> None:
        """Every link the chain needs, until cancelled."""
        try:
            async with asyncio.TaskGroup() as tasks:
                self._tasks = tasks
                if self.demo:
                    self._gate.last_resorts = (Source.SIMULATOR,)
                    self._simulator_task = tasks.create_task(self._run_simulator(), name="sim")
                else:
                    tasks.create_task(self._steer(), name="source-chain")
        finally:
            self._tasks = None
            for link in self.links.values():
                link.task = None
                link.applied = None
            self._coingecko_task = self._simulator_task = None
            self.coingecko = self.simulator = None

    async def set_demand(
        self, symbols: frozenset[str], candles: frozenset[tuple[str, str]]
    ) -> None:
        self._demand = (symbols, candles)
        self._changed()
        if self.simulator is not None:
            await self.simulator.set_demand(symbols, candles)

    def symbols(self) -> list[SymbolInfo]:
        """Every market a live link lists (the better link's entry first), else the
        fallbacks'. The same list object until a listing changes."""
        lists = [link.provider.symbols() for link in self.links.values()]
        key = tuple(id(x) for x in lists)
        if key != self._symbols_key:
            self._symbols_key = key
            seen: dict[str, SymbolInfo] = {}
            for listing in lists:
                for info in listing:
                    seen.setdefault(info.symbol, info)
            self._symbols = [seen[s] for s in sorted(seen)] if len(lists) > 1 else lists[0]
        if self._symbols:
            return self._symbols
        if self.simulator is not None and self.simulator.symbols():
            return self.simulator.symbols()
        if self.coingecko is not None:
            return self.coingecko.symbols()
        return []

    def serving(self, symbol: str) -> Source | None:
        """The link whose prices of `symbol` reach the sink now."""
        return self._gate.serving(symbol)

    async def klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        """From the link serving the market; from the simulator link while it stands in."""
        return await self._serving_link(symbol).klines(symbol, interval, limit)

    async def quote(self, symbol: str) -> QuoteDict:
        """Top of book and last trade, from the link serving the market."""
        return await self._serving_link(symbol).quote(symbol)

    def quote_links(self) -> list[PriceLink]:
        """Every configured live exchange, best first (for comparing them)."""
        return [link.provider for link in self.links.values()]

    def coingecko_url(self) -> str | None:
        """Where coin metadata comes from: CoinGecko, or in demo mode the simulator, which
        serves CoinGecko's endpoints too (None until it runs)."""
        if not self.demo:
            return self.settings.coingecko_url
        return None if self.simulator is None else f"{self.simulator.rest_url}/coingecko/api/v3"

    def circuit(self) -> str:
        return self._primary_circuit().value

    @property
    def source(self) -> Source | None:
        """The main serving source now (None when none is)."""
        source = self.status().get("source")
        return Source(source) if source and self._main_state() is not None else None

    @property
    def live(self) -> bool:
        return self.status()["live"]

    @property
    def state(self) -> FeedState:
        main = self._main_state()
        status = self.status()
        return FeedState(
            source=main.source if main is not None else self._primary_source(),
            connected=main is not None,
            live=status["live"],
            circuit=self._primary_circuit(),
            last_frame_at=None if main is None else main.last_frame_at,
            message=status["message"],
            restricted=status.get("restricted", False),
            market_status={} if main is None else main.market_status,
        )

    def status(self) -> StatusDict:
        main = self._main_state()
        first = self._first()
        restricted = [x for x in self.links.values() if x.provider.state.restricted]
        now = now_ms()
        if main is None:
            message = first.state.message if first is not None else "starting"
            if first is None and self.simulator is not None:
                message = self.simulator.state.message
            return {
                "status": ConnectionState.DISCONNECTED.value,
                "message": f"no price source connected: {message}",
                "timestamp": now,
                "source": self._primary_source().value,
                "live": False,
                "retryAt": _millis(first.state.retry_at if first is not None else None),
                "restricted": bool(restricted),
                "halted": {},
            }
        retry_at = None
        live = main.source in LIVE_SOURCES
        if first is not None and main.source is first.source:
            status, message = ConnectionState.CONNECTED, f"live: {main.message}"
        elif self.demo:
            status, message = ConnectionState.CONNECTED, "demo mode: prices from the simulator"
        else:
            assert first is not None
            status = ConnectionState.DEGRADED
            retry_at = first.state.retry_at
            where = NAMES[main.source]
            if restricted and live:
                refusing = NAMES[restricted[0].provider.source]
                message = f"{refusing} refuses this location (451); live prices from {where}"
            elif live:
                why = f"{NAMES[first.source]} unavailable ({first.state.message})"
                message = f"{why}; live prices from {where}"
            else:
                why = f"{NAMES[first.source]} unavailable ({first.state.message})"
                message = f"{why}; prices from {main.source.value}, not live"
        return {
            "status": status.value,
            "message": message,
            "timestamp": now,
            "source": main.source.value,
            "live": live,
            "retryAt": _millis(retry_at),
            "restricted": bool(restricted),
            "halted": _halted(main.market_status),
        }

    # ---- links ----------------------------------------------------------------------------------

    def _first(self) -> PriceLink | None:
        """The best live link of the order (Binance by default)."""
        return next((link.provider for link in self.links.values()), None)

    def _primary_source(self) -> Source:
        first = self._first()
        return Source.SIMULATOR if first is None else first.source

    def _primary_circuit(self) -> CircuitState:
        first = self._first()
        if first is not None:
            return first.breaker.state
        if self.simulator is not None:
            return self.simulator.breaker.state
        return CircuitState.CLOSED

    def _listed_elsewhere(self, source: Source, symbol: str) -> bool:
        """Another live link's known listing has the market (one not read yet does not count:
        it may never be)."""
        for other, link in self.links.items():
            listed = link.view().listed
            if other is not source and listed is not None and symbol in listed:
                return True
        return False

    def _views(self) -> list[LinkView]:
        return [link.view() for link in self.links.values()]

    def _main_state(self) -> FeedState | None:
        """The state of the main serving link: the highest healthy live link whose data
        flows, else the fallback serving."""
        connected = {s: x.provider.state.connected for s, x in self.links.items()}
        main = main_source(self._views(), connected)
        if main is not None:
            return self.links[main].provider.state
        for fallback in (self.coingecko, self.simulator):
            if fallback is not None and fallback.state.connected:
                return fallback.state
        return None

    def _serving_link(self, symbol: str) -> PriceLink:
        source = self._gate.serving(symbol)
        link = self.links.get(source) if source is not None else None
        if link is not None:
            return link.provider
        if self.simulator is not None:
            return self.simulator
        first = self._first()
        if first is None:
            raise MarketUnavailableError("the simulator is not running")
        return first

    def _changed(self) -> None:
        self._wake.set()

    async def _steer(self) -> None:
        """Keep the links, their demand and the gate in line with what the links say."""
        while True:
            self._wake.clear()
            parts = self._reconcile()
            for source, link in self.links.items():
                wanted = parts.get(source, _NOTHING) if link.task is not None else _NOTHING
                if wanted != (link.applied or _NOTHING):
                    link.applied = wanted
                    await link.provider.set_demand(*wanted)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(STEER_EVERY_S):
                    await self._wake.wait()

    def _reconcile(self) -> dict[Source, Demand]:
        """Routes, running links and fallbacks as the links' health and listings say now."""
        tasks = self._tasks
        views = self._views()
        table = routes(views, self._demand[0])
        self._gate.routes = table
        parts = shares(views, table, self._demand)
        if tasks is not None:
            running = should_run(views, parts)
            for source, link in self.links.items():
                if source in running and link.task is None:
                    link.task = tasks.create_task(link.provider.run(), name=source.value)
                    log.info("link_started", link=source.value)
                elif source not in running and link.task is not None:
                    link.task.cancel()
                    link.task = None
                    log.info("link_stopped", link=source.value)
            self._fallbacks(tasks, any(v.healthy for v in views))
        self._set_last_resort()
        self._report()
        return parts

    def _fallbacks(self, tasks: asyncio.TaskGroup, live_healthy: bool) -> None:
        """CoinGecko while no live link is healthy; the simulator while CoinGecko fails too."""
        want_coingecko = self.use_coingecko and not live_healthy
        if want_coingecko and self._coingecko_task is None:
            self.coingecko = self._make_coingecko()
            self._coingecko_task = tasks.create_task(self.coingecko.run(), name="coingecko")
            log.warning("fallback_started", link="coingecko")
        elif not want_coingecko and self._coingecko_task is not None:
            self._coingecko_task.cancel()
            self._coingecko_task = None
            self.coingecko = None
            log.info("fallback_stopped", link="coingecko")
        failing = (
            self.coingecko is None
            or self.coingecko.failures >= self.settings.coingecko_failure_threshold
        )
        want_simulator = not live_healthy and failing and self.use_simulator
        if want_simulator and self._simulator_task is None:
            self._simulator_task = tasks.create_task(self._run_simulator(), name="sim")
            log.warning("fallback_started", link="simulator")
        elif not want_simulator and self._simulator_task is not None:
            self._simulator_task.cancel()
            self._simulator_task = None
            log.info("fallback_stopped", link="simulator")

    def _set_last_resort(self) -> None:
        """Who serves the markets no live link can: CoinGecko while it runs, the simulator
        while it stands in for a failing CoinGecko."""
        resorts = [Source.COINGECKO] if self.coingecko is not None else []
        if self.simulator is not None and not (self.coingecko and self.coingecko.state.connected):
            resorts.insert(0, Source.SIMULATOR)  # serving, CoinGecko let in once it answers
        self._gate.last_resorts = tuple(resorts)

    def _make_coingecko(self) -> CoinGeckoProvider:
        symbols = self.symbols()
        assets = [s.base_asset for s in symbols if s.quote_asset == QUOTE] if symbols else None
        return CoinGeckoProvider(
            self.settings,
            self._gate.sink_for(Source.COINGECKO),
            assets=assets,
            on_state=self._on_link_state,
            on_result=lambda _ok: self._changed(),
            clock=self._clock,
            ids=self._coingecko_ids,
            bucket=self._coingecko_bucket,
        )

    async def _run_simulator(self) -> None:
        """Start the simulator and read it like Binance, labelled simulator; retry starting it."""
        assert self._start_simulator is not None
        backoff = Backoff.from_settings(self.settings)
        attempt = 0
        while True:
            try:
                async with self._start_simulator() as (ws_url, rest_url):
                    attempt = 0
                    provider = BinanceProvider(
                        self.settings,
                        self._gate.sink_for(Source.SIMULATOR),
                        source=Source.SIMULATOR,
                        ws_url=ws_url,
                        rest_url=rest_url,
                        on_state=self._on_link_state,
                        clock=self._clock,
                    )
                    self.simulator = provider
                    if not self.demo:
                        self._set_last_resort()
                    await provider.set_demand(*self._demand)
                    try:
                        await provider.run()
                    finally:
                        self.simulator = None
                        if not self.demo:
                            self._set_last_resort()
                        self._report()
            except _START_ERRORS as exc:
                attempt += 1
                delay = backoff.delay(attempt) or backoff.max_s
                log.warning("simulator_start_failed", error=str(exc), delay_s=delay)
                await asyncio.sleep(delay)

    def _on_link_state(self, _state: FeedState) -> None:
        self._changed()
        self._report()

    def _report(self) -> None:
        """Tell the app when the chain's status changes (not on every frame)."""
        if self._on_state is None:
            return
        status = self.status()
        key = {k: v for k, v in status.items() if k != "timestamp"}
        if self._reported is not None:
            previous = {k: v for k, v in self._reported.items() if k != "timestamp"}
            if previous == key:
                return
        self._reported = status
        self._on_state(self.state)


def _millis(at: float | None) -> int | None:
    return None if at is None else int(at * 1000)


def _halted(market_status: Mapping[str, str]) -> dict[str, str]:
    """The first `MAX_HALTED` by symbol: a bounded event (the message counts them all)."""
    return dict(sorted(market_status.items())[:MAX_HALTED])
