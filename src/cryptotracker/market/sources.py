"""The source chain Binance -> CoinGecko -> simulator, as one exchange side for the app.

- Binance always runs (it retries behind its breaker).
- While the Binance breaker is not CLOSED, CoinGecko is polled (labelled coingecko).
- If CoinGecko fails `coingecko_failure_threshold` times in a row and `simulator_fallback` is on,
  the simulator is started through the injected `start_simulator` and read by a second
  `BinanceProvider` labelled simulator; it stops again when CoinGecko answers.
- When the Binance breaker closes (its half-open probe got data), both fallbacks stop.
- `settings.exchange == "simulator"` (demo mode): only the simulator link, labelled simulator.

Only Binance is live; while anything else serves prices the status says so (`live` false).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager

import structlog

from cryptotracker.backoff import Backoff
from cryptotracker.clock import now_ms
from cryptotracker.market.binance import BinanceProvider
from cryptotracker.market.breaker import CircuitState
from cryptotracker.market.coingecko import QUOTE, CoinGeckoProvider
from cryptotracker.market.feed import (
    FeedSink,
    FeedState,
    FeedStateListener,
    MarketUnavailableError,
)
from cryptotracker.protocol import (
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


class SourceChain:
    """Runs the links the chain needs now; forwards demand; reports one status."""

    def __init__(
        self,
        settings: Settings,
        sink: FeedSink,
        *,
        on_state: FeedStateListener | None = None,
        start_simulator: StartSimulator | None = None,
        clock: Callable[[], float] = time.monotonic,
        coingecko_ids: Callable[[], Mapping[str, str]] | None = None,
        coingecko_bucket: TokenBucket | None = None,
    ) -> None:
        self.settings = settings
        # The coin metadata's ticker -> id mapping and the instance's one CoinGecko budget.
        self._coingecko_ids = coingecko_ids
        self._coingecko_bucket = coingecko_bucket
        self._sink = sink
        self._on_state = on_state
        self._start_simulator = start_simulator
        self._clock = clock
        self.demo = settings.exchange == "simulator"
        if self.demo and start_simulator is None:
            raise ValueError("demo mode needs a start_simulator")
        self.binance: BinanceProvider | None = None
        if not self.demo:
            self.binance = BinanceProvider(
                settings, sink, source=Source.BINANCE, on_state=self._on_link_state, clock=clock
            )
            self.binance.breaker.add_listener(lambda _old, _new: self._reconcile())
        self.coingecko: CoinGeckoProvider | None = None
        self.simulator: BinanceProvider | None = None
        self._coingecko_task: asyncio.Task[None] | None = None
        self._simulator_task: asyncio.Task[None] | None = None
        self._tasks: asyncio.TaskGroup | None = None
        self._demand: tuple[frozenset[str], frozenset[tuple[str, str]]] = (
            frozenset(),
            frozenset(),
        )
        self._reported: StatusDict | None = None

    # ---- the app's interface --------------------------------------------------------------------

    async def run(self) -> None:
        """Every link the chain needs, until cancelled."""
        try:
            async with asyncio.TaskGroup() as tasks:
                self._tasks = tasks
                if self.binance is None:
                    self._simulator_task = tasks.create_task(self._run_simulator(), name="sim")
                else:
                    tasks.create_task(self.binance.run(), name="binance")
                    self._reconcile()
        finally:
            self._tasks = None
            self._coingecko_task = self._simulator_task = None
            self.coingecko = self.simulator = None

    async def set_demand(
        self, symbols: frozenset[str], candles: frozenset[tuple[str, str]]
    ) -> None:
        self._demand = (symbols, candles)
        if self.binance is not None:
            await self.binance.set_demand(symbols, candles)
        if self.simulator is not None:
            await self.simulator.set_demand(symbols, candles)

    def symbols(self) -> list[SymbolInfo]:
        if self.binance is not None and self.binance.symbols():
            return self.binance.symbols()
        if self.simulator is not None and self.simulator.symbols():
            return self.simulator.symbols()
        if self.coingecko is not None:
            return self.coingecko.symbols()
        return []

    async def klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        """From Binance while its circuit is closed, else from the simulator link if it runs."""
        binance_ok = self.binance is not None and self.binance.breaker.state is CircuitState.CLOSED
        if self.simulator is not None and not binance_ok:
            return await self.simulator.klines(symbol, interval, limit)
        if self.binance is None:
            raise MarketUnavailableError("the simulator is not running")
        return await self.binance.klines(symbol, interval, limit)

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
        """The link serving prices now (None when none is)."""
        link = self._serving()
        return None if link is None else link.source

    @property
    def live(self) -> bool:
        link = self._serving()
        return link is not None and link.live

    @property
    def state(self) -> FeedState:
        link = self._serving()
        status = self.status()
        return FeedState(
            source=link.source if link is not None else self._primary_source(),
            connected=link is not None,
            live=link is not None and link.live,
            circuit=self._primary_circuit(),
            last_frame_at=None if link is None else link.last_frame_at,
            message=status["message"],
            restricted=self._restricted(),
            market_status={} if link is None else link.market_status,
        )

    def status(self) -> StatusDict:
        link = self._serving()
        now = now_ms()
        if link is None:
            primary = self.binance if self.binance is not None else self.simulator
            message = primary.state.message if primary is not None else "starting"
            return {
                "status": ConnectionState.DISCONNECTED.value,
                "message": f"no price source connected: {message}",
                "timestamp": now,
                "source": self._primary_source().value,
                "live": False,
                "retryAt": _millis(primary.state.retry_at if primary is not None else None),
                "restricted": self._restricted(),
                "halted": {},
            }
        retry_at = None
        if link.source is Source.BINANCE:
            status, message = ConnectionState.CONNECTED, f"live: {link.message}"
        elif self.demo:
            status, message = ConnectionState.CONNECTED, "demo mode: prices from the simulator"
        else:
            why = self.binance.state.message if self.binance is not None else ""
            status = ConnectionState.DEGRADED
            message = f"Binance unavailable ({why}); prices from {link.source.value}, not live"
            retry_at = self.binance.state.retry_at if self.binance is not None else None
        return {
            "status": status.value,
            "message": message,
            "timestamp": now,
            "source": link.source.value,
            "live": link.live,
            "retryAt": _millis(retry_at),
            "restricted": self._restricted(),
            "halted": _halted(link.market_status),
        }

    # ---- links ----------------------------------------------------------------------------------

    def _restricted(self) -> bool:
        return self.binance is not None and self.binance.state.restricted

    def _primary_source(self) -> Source:
        return Source.SIMULATOR if self.demo else Source.BINANCE

    def _primary_circuit(self) -> CircuitState:
        if self.binance is not None:
            return self.binance.breaker.state
        if self.simulator is not None:
            return self.simulator.breaker.state
        return CircuitState.CLOSED

    def _serving(self) -> FeedState | None:
        """The highest link of the chain whose data flows now."""
        for link in (self.binance, self.coingecko, self.simulator):
            if link is not None and link.state.connected:
                return link.state
        return None

    def _reconcile(self) -> None:
        """Start or stop the fallbacks to match the Binance breaker and CoinGecko's health."""
        tasks = self._tasks
        if tasks is None or self.binance is None:
            self._report()
            return
        want_coingecko = self.binance.breaker.state is not CircuitState.CLOSED
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
            self.coingecko is not None
            and self.coingecko.failures >= self.settings.coingecko_failure_threshold
        )
        want_simulator = (
            want_coingecko
            and failing
            and self.settings.simulator_fallback
            and self._start_simulator is not None
        )
        if want_simulator and self._simulator_task is None:
            self._simulator_task = tasks.create_task(self._run_simulator(), name="sim")
            log.warning("fallback_started", link="simulator")
        elif not want_simulator and self._simulator_task is not None:
            self._simulator_task.cancel()
            self._simulator_task = None
            log.info("fallback_stopped", link="simulator")
        self._report()

    def _make_coingecko(self) -> CoinGeckoProvider:
        assets = None
        if self.binance is not None and self.binance.symbols():
            assets = [s.base_asset for s in self.binance.symbols() if s.quote_asset == QUOTE]
        return CoinGeckoProvider(
            self.settings,
            self._sink,
            assets=assets,
            on_state=self._on_link_state,
            on_result=lambda _ok: self._reconcile(),
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
                        self._sink,
                        source=Source.SIMULATOR,
                        ws_url=ws_url,
                        rest_url=rest_url,
                        on_state=self._on_link_state,
                        clock=self._clock,
                    )
                    self.simulator = provider
                    await provider.set_demand(*self._demand)
                    try:
                        await provider.run()
                    finally:
                        self.simulator = None
                        self._report()
            except _START_ERRORS as exc:
                attempt += 1
                delay = backoff.delay(attempt) or backoff.max_s
                log.warning("simulator_start_failed", error=str(exc), delay_s=delay)
                await asyncio.sleep(delay)

    def _on_link_state(self, _state: FeedState) -> None:
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
