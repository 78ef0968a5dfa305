"""The Binance provider: REST metadata and snapshot, then combined streams over WebSocket.

Life cycle (`run()`, until cancelled; every task owned by its TaskGroup):

1. REST `exchangeInfo` (symbols of `settings.quote_assets`, whatever their status), `ticker/24hr`
   (the start-up snapshot, emitted to the sink at once) and `time` (the exchange clock's
   offset from ours: whether a REST candle is closed is judged on the exchange's time).
2. One connection per shard of streams (`StreamPlanner`: at most 1024 streams each; shard 0
   carries ``!miniTicker@arr``, so one connection suffices unless demand is huge) to
   ``{ws_url}/stream?streams=...``. `set_demand` diffs demand against what each connection has
   and sends SUBSCRIBE/UNSUBSCRIBE, many streams per request, paced below Binance's 5
   incoming messages/s (websockets answers the server's pings; those pongs count too). A
   stream counts as carried once Binance answered its request (matched by id); a rejected or
   unanswered request is sent again up to ``ws_request_attempts`` times, and every
   ``ws_list_subscriptions_s`` LIST_SUBSCRIPTIONS says what the connection really carries, so
   any difference from the plan is sent again (`binance_requests.py` keeps the books).
3. A session ends cleanly on ``serverShutdown`` or at ``connection_max_age_s`` (Binance cuts at
   24 h) and reconnects at once; it fails on a drop, a refused or rejected handshake (429, 451,
   ...), a REST failure while bootstrapping, or silence (no valid frame on the miniTicker
   connection for ``feed_silence_s``). Failures feed the circuit breaker and wait the backoff;
   while the breaker is OPEN no connection is tried until its pause is over, then one probe.
   Every reconnect re-subscribes everything its shard should carry. A refusal whose
   Retry-After outlasts the breaker's pause (a 418 ban) opens the breaker at once, so the
   fallbacks serve meanwhile.
4. Every connection attempt is paced (0.9/s) and counted against the address's budget
   (`connect_budget`: Binance allows 300 per 5 minutes per IP; the app shares the count among
   instances through Redis); a spent budget is waited out, the status saying so. A host that
   refuses the connection, times out or answers 5xx hands over to the next documented one
   (`hosts.py`); REST calls do the same, per call (`binance_rest.py`).

After a reconnect, the candles of each kline stream that closed during the gap come from REST
klines (within the weight budget, judged closed on the exchange's clock) and go to the sink
oldest first, the stream's live candles held back meanwhile (`kline_gaps.py`).

Every ``binance_exchange_info_refresh_s`` exchangeInfo is read again (within the REST weight
budget): new listings are streamed and priced, delisted markets dropped, and markets that stop
trading (BREAK, HALT, ...) marked in `FeedState.market_status` and the status text until they
trade again (`listings.py`). Only while the feed serves, and after an outage (the breaker
opened) only once exchangeInfo has been read again: a fallback's prices, or a halt that ended
meanwhile, are not shown with Binance's old statuses.

Updates go synchronously to the `FeedSink`, stamped with the provider's `source` label
(binance, or simulator when pointed at the built-in simulator).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

import httpx
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from cryptotracker.backoff import Backoff
from cryptotracker.clock import now_ms
from cryptotracker.market.binance_frames import (
    MINI_TICKER_ALL,
    AggTrade,
    InvalidFrameError,
    Kline,
    MethodError,
    MethodReply,
    MiniTickers,
    ServerShutdown,
    StreamPlanner,
    combined_url,
    demand_streams,
    parse_frame,
    request,
    request_batches,
)
from cryptotracker.market.binance_quote import fetch_quote
from cryptotracker.market.binance_requests import LIST, Pending, RequestLedger
from cryptotracker.market.binance_rest import BinanceRest, RestError
from cryptotracker.market.breaker import CircuitBreaker, CircuitState
from cryptotracker.market.connect_budget import ConnectBudget, LocalConnectBudget
from cryptotracker.market.feed import FeedSink, FeedState, FeedStateListener
from cryptotracker.market.hosts import Hosts
from cryptotracker.market.kline_gaps import (
    BACKFILL_LIMIT,
    KlineGaps,
    kline_key,
    may_have_missed,
    missed,
)
from cryptotracker.market.link import QuoteDict
from cryptotracker.market.listings import TRADING, Listing, listing_changes
from cryptotracker.market.normalize import MarketState, kline_to_candle
from cryptotracker.market.request_weight import RequestWeight
from cryptotracker.market.server_time import ServerTime
from cryptotracker.metrics import (
    BINANCE_CONNECTS_HELD,
    EXCHANGE_FRAMES,
    EXCHANGE_FRAMES_INVALID,
    EXCHANGE_RECONNECTS,
    EXCHANGE_UPDATES,
)
from cryptotracker.protocol import CandleDict, PriceDict, Source, SymbolInfo
from cryptotracker.settings import Settings
from cryptotracker.token_bucket import TokenBucket

log = structlog.get_logger(__name__)

# miniTicker@arr for ~3000 symbols is ~0.6 MB; leave room.
MAX_FRAME_BYTES: Final = 8 * 2**20
# Streams named in the connect URL (the rest follow as SUBSCRIBE): keeps the URL short.
URL_STREAMS: Final = 50
# Binance allows 300 connection attempts per 5 minutes per IP: 0.9/s + a burst of 10 stays under.
CONNECTS_PER_S: Final = 0.9
CONNECT_BURST: Final = 10.0


# The status text of a 451: Binance serves no market data to this address's location.
RESTRICTED: Final = "restricted location (HTTP 451): Binance refuses this address"
# The status text of a 418: Binance banned this address (after 429s), for minutes to days.
BANNED: Final = "address banned by Binance (HTTP 418)"
# The status text while the address's connection attempts are spent.
CONNECTS_SPENT: Final = (
    "waiting: this address's stream connection attempts are spent "
    "({limit} per 5 min, counted for every instance)"
)


class FeedFailureError(Exception):
    """A session failed in a way that counts against the breaker."""

    def __init__(
        self, reason: str, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status  # the HTTP status Binance refused with, if it did


class _End:
    """Why a session ended without failing (reconnect at once)."""

    SHUTDOWN: Final = "server_shutdown"
    MAX_AGE: Final = "max_age"


@dataclass(eq=False)
class _Shard:
    """One connection's bookkeeping; `subscribed` is what the open connection carries."""

    index: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    subscribed: set[str] = field(default_factory=set)
    # This session's requests awaiting their replies (replaced on every connect).
    ledger: RequestLedger | None = None
    retries: list[Pending] = field(default_factory=list)
    # Streams whose requests failed every attempt: left alone until LIST_SUBSCRIPTIONS answers.
    given_up: set[str] = field(default_factory=set)
    live: bool = False
    attempt: int = 0
    last_valid: float = 0.0
    end: str | None = None
    task: asyncio.Task[None] | None = None


class BinanceProvider:
    """A Binance-protocol market-data feed with its own breaker, stamped with `source`."""

    def __init__(
        self,
        settings: Settings,
        sink: FeedSink,
        *,
        source: Source = Source.BINANCE,
        ws_url: str | None = None,
        rest_url: str | None = None,
        on_state: FeedStateListener | None = None,
        breaker: CircuitBreaker | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.source = source
        # A feed given its URLs (the simulator) has those; else Binance's documented hosts.
        self.ws_hosts = Hosts(
            [ws_url] if ws_url else [settings.binance_ws_url, *settings.binance_ws_fallback_urls]
        )
        self.rest_hosts = Hosts(
            [rest_url]
            if rest_url
            else [settings.binance_rest_url, *settings.binance_rest_fallback_urls]
        )
        self._sink = sink
        self._on_state = on_state
        self._clock = clock
        self.breaker = breaker or CircuitBreaker.from_settings(source.value, settings, clock)
        self.breaker.add_listener(self._on_circuit)
        self._backoff = backoff or Backoff.from_settings(settings)
        self._market = MarketState(source)
        self._planner = StreamPlanner(settings.ws_streams_per_connection)
        self._demand: frozenset[str] = frozenset()
        # Demand as asked, before filtering by the listed symbols (a listing may come later).
        self._asked: tuple[frozenset[str], frozenset[tuple[str, str]]] = (frozenset(), frozenset())
        self._shards: dict[int, _Shard] = {}
        self._symbols: list[SymbolInfo] = []
        self._known: frozenset[str] = frozenset()
        self._status: dict[str, str] = {}  # Binance's status of every listed symbol
        self._gaps = KlineGaps()
        # Kline streams whose gap is being filled -> their live candles meanwhile, by open time.
        self._held: dict[tuple[str, str], dict[int, CandleDict]] = {}
        self._bootstrapped = False
        # Set while the breaker is open: on recovery the REST snapshot is fetched again, so
        # quiet markets do not keep a fallback's values until their next miniTicker.
        self._stale = False
        # Set likewise, and cleared only when exchangeInfo is read again: the markets' statuses
        # from before the outage (a halt may have ended) are not shown as current meanwhile.
        self._listings_stale = False
        self._ids = itertools.count(1)
        # Every REST call of this feed, from any task, spends from this one budget.
        self.weight = RequestWeight(settings.binance_weight_per_min)
        self.server_time = ServerTime()
        self._connects = TokenBucket(CONNECTS_PER_S, CONNECT_BURST, clock())
        # The address's connection attempts per 5 minutes; the app shares it through Redis.
        self.connect_budget: ConnectBudget = LocalConnectBudget(settings.binance_connects_per_5min)
        self._tasks: asyncio.TaskGroup | None = None
        self._http: httpx.AsyncClient | None = None
        self._rest: BinanceRest | None = None
        self._circuit_changed = asyncio.Event()
        self._connected = False
        self._last_frame_at: float | None = None
        self._message = "not started"
        # Binance's last refusal was a 451 (restricted location), until data flows again.
        self._restricted = False
        self._banned = False  # likewise a 418: the address is banned, every host alike
        self._retry_at: float | None = None
        label = source.value
        self._frames = EXCHANGE_FRAMES.labels(label)
        self._invalid = EXCHANGE_FRAMES_INVALID.labels(label)
        self._updates = EXCHANGE_UPDATES.labels(label)
        self._reconnects = EXCHANGE_RECONNECTS.labels(label)
        self._connects_held = BINANCE_CONNECTS_HELD.labels(label)
        self._log = log.bind(source=label, ws=self.ws_url)

    # ---- public API ---------------------------------------------------------------------------

    @property
    def ws_url(self) -> str:
        """The stream host connected to now (or next)."""
        return self.ws_hosts.current

    @property
    def rest_url(self) -> str:
        """The REST host asked now (or next)."""
        return self.rest_hosts.current

    @property
    def state(self) -> FeedState:
        return FeedState(
            source=self.source,
            connected=self._connected,
            live=self._connected and self.source is Source.BINANCE,
            circuit=self.breaker.state,
            last_frame_at=self._last_frame_at,
            message=self._message,
            retry_at=self._retry_at,
            restricted=self._restricted,
            # Only while this feed serves: a fallback's prices are not Binance's halted markets.
            market_status=self._not_trading() if self._connected else {},
        )

    def symbols(self) -> list[SymbolInfo]:
        """Listed symbols (empty until exchangeInfo has answered)."""
        return self._symbols

    def prices(self) -> list[PriceDict]:
        """The current snapshot of every listed market (wire shape)."""
        return self._market.snapshot()

    @property
    def subscriptions(self) -> dict[int, frozenset[str]]:
        """Streams each open connection carries now (by shard)."""
        return {index: frozenset(s.subscribed) for index, s in self._shards.items()}

    async def klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        """Candles from REST `/api/v3/klines` (raises `RestError`, a RuntimeError)."""
        if self._rest is not None:
            return await self._rest.klines(symbol, interval, limit)
        async with self._client() as client:
            return await self._rest_on(client).klines(symbol, interval, limit)

    async def quote(self, symbol: str) -> QuoteDict:
        """Top of book and last trade from REST, within the weight budget (raises
        `RestError`, a RuntimeError)."""
        if self._rest is not None:
            return await fetch_quote(self._rest, self.source, symbol)
        async with self._client() as client:
            return await fetch_quote(self._rest_on(client), self.source, symbol)

    async def set_demand(
        self, symbols: frozenset[str], candles: frozenset[tuple[str, str]]
    ) -> None:
        """Streams for these symbols (aggTrade) and candle rooms (kline); applied in the
        background, paced, and again after every reconnect."""
        self._asked = (symbols, candles)
        self._apply_demand()

    def _apply_demand(self) -> None:
        """Plan the streams of the demand for listed symbols (all, before the listing)."""
        symbols, candles = self._asked
        if self._known:
            symbols = frozenset(s for s in symbols if s in self._known)
            candles = frozenset(c for c in candles if c[0] in self._known)
        wanted = demand_streams(symbols, candles)
        self._gaps.keep(candles)
        if wanted == self._demand:
            return
        self._demand = wanted
        diffs = self._planner.update(wanted)
        self._log.info("demand_changed", streams=len(wanted), shards=len(self._planner.shards))
        self._reconcile_shards(set(diffs))

    async def run(self) -> None:
        """Fetch metadata, stream, reconnect; until cancelled."""
        async with self._client() as client:
            self._http = client
            self._rest = self._rest_on(client)
            try:
                async with asyncio.TaskGroup() as tasks:
                    self._tasks = tasks
                    self._reconcile_shards(set(self._planner.shards))
                    tasks.create_task(self._refresh_listings(), name="exchange-info")
            finally:
                self._tasks = None
                self._rest = None
                self._http = None
                for shard in self._shards.values():
                    shard.task = None
                self._set_connected(False, "stopped")

    # ---- shards -------------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        timeout = httpx.Timeout(self.settings.rest_timeout_s)
        return httpx.AsyncClient(timeout=timeout, proxy=self.settings.exchange_proxy)

    def _rest_on(self, client: httpx.AsyncClient) -> BinanceRest:
        return BinanceRest(
            client, self.source, self.weight, self.server_time.now_ms, self.rest_hosts
        )

    def _reconcile_shards(self, changed: set[int]) -> None:
        """One connection task per planned shard; wake those whose streams changed."""
        planned = self._planner.shards
        for index in [s for s in self._shards if s not in planned]:
            gone = self._shards.pop(index)
            if gone.task is not None:
                gone.task.cancel()
        for index in planned:
            shard = self._shards.setdefault(index, _Shard(index))
            if self._tasks is not None and shard.task is None:
                shard.task = self._tasks.create_task(self._run_shard(shard), name=f"ws-{index}")
            if index in changed:
                shard.wake.set()

    async def _run_shard(self, shard: _Shard) -> None:
        """Connect, stream, reconnect: the loop of one connection."""
        while True:
            await self._wait_for_circuit()
            await self._connects.acquire(self._clock)
            await self._within_connect_budget(shard)
            self._reconnects.inc()
            try:
                if shard.index == 0 and not self._bootstrapped:
                    await self._bootstrap()
                end = await self._session(shard)
                if not shard.live:  # e.g. shut down before any data: not a working feed
                    raise FeedFailureError(f"ended before any data: {end}")
            except FeedFailureError as exc:
                await self._after_failure(shard, exc)
                continue
            self._log.info("session_ended", shard=shard.index, reason=end)
            if shard.index == 0:
                self._set_connected(False, f"reconnecting: {end}")

    async def _after_failure(self, shard: _Shard, exc: FeedFailureError) -> None:
        shard.attempt += 1
        if exc.status is not None:  # before the breaker's listener words the status
            self._restricted = exc.status == 451
            self._banned = exc.status == 418
        if exc.retry_after is not None and exc.retry_after >= self.breaker.reset_s:
            # Told to stay away longer than the breaker's pause (a ban, a long Retry-After):
            # open now, so the fallbacks serve meanwhile rather than after N such waits.
            self.breaker.trip(exc.reason)
        else:
            self.breaker.record_failure(exc.reason)
        delay = self._backoff.delay(shard.attempt)
        if delay is None:
            # Attempts used up: only the breaker's probes (every breaker_reset_s) from now on.
            open_ = self.breaker.state is CircuitState.OPEN
            delay = 0.0 if open_ else self._backoff.max_s
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        self._log.warning(
            "feed_failure",
            shard=shard.index,
            reason=exc.reason,
            attempt=shard.attempt,
            delay_s=round(delay, 3),
            circuit=self.breaker.state.value,
        )
        if shard.index == 0 or not self._connected:
            self._retry_at = time.time() + delay  # the figure lives in the deadline, not the text
            why = self._refusal() or exc.reason
            self._set_connected(False, f"{why}; retry {shard.attempt} scheduled")
        if delay > 0:
            await asyncio.sleep(delay)

    async def _within_connect_budget(self, shard: _Shard) -> None:
        """Return once the address's budget of connection attempts admits one more: Binance
        answers attempts beyond it with 429, and then bans the address."""
        while (wait := await self.connect_budget.take()) is not None:
            self._connects_held.inc()
            limit = self.connect_budget.limit
            self._log.warning("connect_budget_spent", shard=shard.index, wait_s=round(wait, 1))
            if wait >= self.breaker.reset_s and self.breaker.state is not CircuitState.OPEN:
                # Minutes without this feed: the fallbacks serve meanwhile, as for a ban.
                self.breaker.trip("connection attempts spent")
            if shard.index == 0 or not self._connected:
                self._retry_at = time.time() + wait
                self._set_connected(False, CONNECTS_SPENT.format(limit=limit))
            await asyncio.sleep(wait)

    def _refusal(self) -> str | None:
        """Binance's standing refusal of this address, if its last answer was one."""
        if self._restricted:
            return RESTRICTED
        if self._banned:
            return BANNED
        return None

    async def _wait_for_circuit(self) -> None:
        """Return when the breaker lets us try (CLOSED, or the one HALF_OPEN probe)."""
        while True:
            self._circuit_changed.clear()
            if self.breaker.allow():
                return
            timeout: float | None = None  # HALF_OPEN: another shard's probe decides
            if self.breaker.state is CircuitState.OPEN:
                # The pause can run out between allow() and here (timers fire up to a tick
                # early): try again at once rather than wait for a change that never comes.
                timeout = self.breaker.retry_in()
                if timeout <= 0:
                    continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._circuit_changed.wait()

    def _on_circuit(self, old: CircuitState, new: CircuitState) -> None:
        self._circuit_changed.set()
        if new is CircuitState.OPEN:
            self._stale = self._listings_stale = self._bootstrapped
            failures, pause = self.breaker.failures, self.breaker.reset_s
            refusal = self._refusal()
            why = f"{refusal}; " if refusal else ""
            self._message = f"{why}circuit open after {failures} failures; probe scheduled"
            self._retry_at = time.time() + pause
        self._publish()

    async def _bootstrap(self) -> None:
        """Symbols and the start-up snapshot, before the first stream connects."""
        assert self._rest is not None
        try:
            listings = await self._rest.exchange_info(self.settings.quote_assets)
            tickers = await self._rest.ticker_24hr()
        except RestError as exc:
            raise FeedFailureError(f"rest: {exc}", exc.retry_after, exc.status) from exc
        await self._sync_time()
        self._apply_listings(listings)
        updates = self._market.apply_ticker_24hr(tickers)
        self._emit(updates)
        self._bootstrapped = True
        self._log.info("bootstrapped", symbols=len(listings), snapshot=len(updates))
        self._apply_demand()  # demand that came before we knew the symbols: filter it now

    def _apply_listings(self, listings: list[Listing]) -> None:
        """A new exchangeInfo reading: listed markets, their status, and the demand on them."""
        status = {listing.info.symbol: listing.status for listing in listings}
        changes = listing_changes(self._status, status)
        self._symbols = [listing.info for listing in listings]
        self._status = status
        self._known = frozenset(status)
        self._market.restrict(self._known)
        if not self._bootstrapped or not changes:
            return
        if changes.delisted:
            self._sink.on_delisted(changes.delisted)
        self._log.info(
            "listings_changed",
            listed=changes.listed[:20],
            delisted=changes.delisted[:20],
            stopped=dict(list(changes.stopped.items())[:20]),
            resumed=changes.resumed[:20],
        )
        self._apply_demand()
        if self._connected:
            self._set_connected(True, self._live_message())
        else:
            self._publish()

    async def _refresh_listings(self) -> None:
        """exchangeInfo (and the clock's offset) again every `binance_exchange_info_refresh_s`,
        while the feed is up; a failure waits for the next turn."""
        while True:
            await asyncio.sleep(self.settings.binance_exchange_info_refresh_s)
            rest = self._rest
            if rest is None or not self._bootstrapped or not self._connected:
                continue
            try:
                listings = await rest.exchange_info(self.settings.quote_assets)
            except RestError as exc:
                self._log.warning("exchange_info_refresh_failed", error=str(exc))
                continue
            self._listings_read(listings)
            await self._sync_time()

    def _listings_read(self, listings: list[Listing]) -> None:
        """A fresh exchangeInfo reading while streaming: applied, and statuses current again."""
        was_stale, self._listings_stale = self._listings_stale, False
        self._apply_listings(listings)
        if was_stale and self._connected:
            self._message = self._live_message()
            self._publish()

    def _not_trading(self) -> dict[str, str]:
        """Listed markets that do not trade, as far as Binance said since the last outage."""
        if self._listings_stale:
            return {}
        return {s: st for s, st in self._status.items() if st != TRADING}

    def _live_message(self) -> str:
        host = urlsplit(self.ws_url).netloc
        stopped = sorted(self._not_trading().items())
        if not stopped:
            return f"streaming from {host}"
        named = ", ".join(f"{s} ({st})" for s, st in stopped[:5])
        more = f" and {len(stopped) - 5} more" if len(stopped) > 5 else ""
        return f"streaming from {host}; not trading: {named}{more}"

    async def _sync_time(self) -> None:
        """The exchange clock's offset from ours (best effort: the last one stays)."""
        assert self._rest is not None
        sent = now_ms()
        try:
            server_ms = await self._rest.server_time()
        except RestError as exc:
            self._log.warning("server_time_failed", error=str(exc))
            return
        self.server_time.observe(sent, server_ms, now_ms())
        self._log.info(
            "server_time",
            offset_ms=self.server_time.offset_ms,
            round_trip_ms=self.server_time.round_trip_ms,
        )

    # ---- one session --------------------------------------------------------------------------

    async def _connect(self, shard: _Shard) -> ClientConnection:
        planned = sorted(self._planner.shards.get(shard.index, frozenset()))
        if MINI_TICKER_ALL in planned:
            planned.remove(MINI_TICKER_ALL)
            planned.insert(0, MINI_TICKER_ALL)
        # Binance wants at least one stream in a combined-stream URL.
        in_url = planned[:URL_STREAMS]
        s = self.settings
        try:
            ws = await connect(
                combined_url(self.ws_url, in_url),
                open_timeout=s.ws_open_timeout_s,
                ping_interval=s.ws_ping_interval_s,
                ping_timeout=s.ws_ping_timeout_s,
                close_timeout=2.0,
                max_size=MAX_FRAME_BYTES,
                compression=None,
                # True: the environment's proxy, as httpx does for the REST calls.
                proxy=self.settings.exchange_proxy or True,
            )
        except InvalidStatus as exc:
            response = exc.response
            retry = response.headers.get("Retry-After")
            if response.status_code >= 500:  # the host's trouble, not a refusal of the address
                self._next_host()
            raise FeedFailureError(
                f"handshake rejected: HTTP {response.status_code}",
                float(retry) if retry and retry.isdigit() else None,
                response.status_code,
            ) from exc
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            self._next_host()
            raise FeedFailureError(f"connect failed: {type(exc).__name__}: {exc}") from exc
        shard.subscribed = set(in_url)  # the handshake is their confirmation
        s = self.settings
        shard.ledger = RequestLedger(s.ws_reply_timeout_s, s.ws_request_attempts, self._clock)
        shard.retries = []
        shard.given_up = set()
        return ws

    def _next_host(self) -> None:
        """The host did not answer: the next attempt goes to the next documented one."""
        failed = self.ws_url
        if self.ws_hosts.failed(failed):
            self._log.warning("ws_host_failover", failed=failed, next=self.ws_url)

    async def _session(self, shard: _Shard) -> str:
        ws = await self._connect(shard)
        shard.live = False
        shard.end = None
        shard.last_valid = self._clock()
        shard.wake.set()  # subscribe what did not fit in the URL, and any change since
        self._log.info("connected", shard=shard.index, streams=len(shard.subscribed))
        if shard.index != 0:
            # Extra connections may carry only quiet streams: the handshake is the proof of life.
            self._on_live(shard)
        syncer = asyncio.create_task(self._sync(shard, ws), name=f"ws-{shard.index}-sync")
        watchdog = asyncio.create_task(self._watch(shard, ws), name=f"ws-{shard.index}-watch")
        gaps = self._gaps_of(shard)
        filler = asyncio.create_task(self._backfill(gaps), name=f"ws-{shard.index}-backfill")
        try:
            return await self._read(shard, ws)
        finally:
            syncer.cancel()
            watchdog.cancel()
            filler.cancel()
            await asyncio.gather(syncer, watchdog, filler, return_exceptions=True)
            for symbol, interval, _ in gaps:
                self._release(symbol, interval, None)
            shard.subscribed = set()
            await ws.close()

    async def _read(self, shard: _Shard, ws: ClientConnection) -> str:
        handle = self._handle
        while True:
            try:
                raw = await ws.recv(decode=False)
            except ConnectionClosed as exc:
                if shard.end == _End.MAX_AGE:
                    return _End.MAX_AGE
                if shard.end is not None:
                    raise FeedFailureError(shard.end) from exc
                raise FeedFailureError(f"connection dropped: {exc}") from exc
            if handle(shard, raw):
                return _End.SHUTDOWN

    def _handle(self, shard: _Shard, raw: bytes) -> bool:
        """One frame: parse, normalise, hand to the sink. True on serverShutdown."""
        self._frames.inc()
        try:
            event = parse_frame(raw)
        except InvalidFrameError as exc:
            self._invalid.inc()
            self._log.warning("frame_invalid", shard=shard.index, error=str(exc), frame=raw[:200])
            return False
        shard.last_valid = self._clock()
        self._last_frame_at = time.time()
        if isinstance(event, MiniTickers):
            self._emit(self._market.apply_mini_tickers(event.rows))
        elif isinstance(event, AggTrade):
            price = self._market.apply_trade(event)
            if price is not None:
                self._sink.on_price(price)
                self._updates.inc()
        elif isinstance(event, Kline):
            self._on_kline(event)
        elif isinstance(event, ServerShutdown):
            self._log.warning("server_shutdown", shard=shard.index)
            return True
        elif isinstance(event, MethodReply | MethodError):
            self._on_reply(shard, event)
        if not shard.live:
            self._on_live(shard)
        return False

    def _on_kline(self, event: Kline) -> None:
        self._gaps.seen(event.symbol, event.interval, event.open_time, event.closed)
        candle = kline_to_candle(event, self.source)
        held = self._held.get((event.symbol, event.interval))
        if held is None:
            self._sink.on_candle(candle)
        else:  # its gap is being filled: after the older candles, in order
            held[event.open_time] = candle

    def _emit(self, updates: list[PriceDict]) -> None:
        on_price = self._sink.on_price
        for update in updates:
            on_price(update)
        self._updates.inc(len(updates))

    def _on_live(self, shard: _Shard) -> None:
        shard.live = True
        shard.attempt = 0
        self._restricted = False
        self._banned = False
        if shard.index == 0:
            self._set_connected(True, self._live_message())
            if self._stale and self._tasks is not None:
                self._stale = False
                self._tasks.create_task(self._refresh_snapshot(), name="resnapshot")
        self.breaker.record_success()

    async def _refresh_snapshot(self) -> None:
        """REST exchangeInfo and ticker/24hr again after an outage (best effort: the stream
        fills in prices anyway; the periodic refresh, statuses)."""
        if self._rest is None:
            return
        try:
            self._listings_read(await self._rest.exchange_info(self.settings.quote_assets))
        except RestError as exc:
            self._log.warning("relisting_failed", error=str(exc))
        try:
            rows = await self._rest.ticker_24hr()
        except RestError as exc:
            self._log.warning("resnapshot_failed", error=str(exc))
            return
        updates = self._market.apply_ticker_24hr(rows)
        self._emit(updates)
        self._log.info("resnapshot", snapshot=len(updates))

    def _gaps_of(self, shard: _Shard) -> list[tuple[str, str, int]]:
        """(symbol, interval, from open time) of the shard's kline streams seen before: their
        live candles are held back until the candles the gap kept from us are handed on."""
        gaps = []
        for stream in sorted(self._planner.shards.get(shard.index, frozenset())):
            key = kline_key(stream)
            start = None if key is None else self._gaps.start(*key)
            if key is not None and start is not None:
                gaps.append((*key, start))
                self._held[key] = {}
        return gaps

    async def _backfill(self, gaps: list[tuple[str, str, int]]) -> None:
        """Candles that closed while the stream was down, from REST within the weight budget,
        oldest first; then the live candles held meanwhile."""
        rest = self._rest
        try:
            if not gaps or rest is None:
                return
            await self._sync_time()  # the gap may have been a clock step too
            now = self.server_time.now_ms()
            for symbol, interval, start in gaps:
                last = None
                if may_have_missed(start, interval, now):  # else: back within one candle
                    last = await self._fill(rest, symbol, interval, start)
                self._release(symbol, interval, last)
        finally:  # whatever happened, no stream's live candles stay held
            for symbol, interval, _ in gaps:
                self._release(symbol, interval, None)

    async def _fill(self, rest: BinanceRest, symbol: str, interval: str, start: int) -> int | None:
        """Hand on the closed candles from `start`; the open time of the newest, if any."""
        try:
            rows = await rest.klines(symbol, interval, BACKFILL_LIMIT, start_ms=start)
        except RestError as exc:
            self._log.warning("backfill_failed", symbol=symbol, interval=interval, error=str(exc))
            return None
        candles = missed(rows, start)
        for candle in candles:
            self._sink.on_candle(candle)
        self._log.info("backfilled", symbol=symbol, interval=interval, candles=len(candles))
        return candles[-1]["openTime"] if candles else None

    def _release(self, symbol: str, interval: str, after: int | None) -> None:
        """Hand on the live candles held for a stream (newer than `after`, oldest first)."""
        held = self._held.pop((symbol, interval), None)
        if held is None:
            return
        for open_time in sorted(held):
            if after is None or open_time > after:
                self._sink.on_candle(held[open_time])

    async def _watch(self, shard: _Shard, ws: ClientConnection) -> None:
        """Close the connection at the 24 h cut-off, or when the miniTicker feed goes silent."""
        silence = self.settings.feed_silence_s if shard.index == 0 else None
        retire_at = self._clock() + self.settings.connection_max_age_s
        while True:
            now = self._clock()
            if now >= retire_at:
                shard.end = _End.MAX_AGE
                break
            if silence is not None and now - shard.last_valid >= silence:
                shard.end = f"silent for {silence:g}s"
                self._log.warning("feed_silent", shard=shard.index, silence_s=silence)
                break
            wake = retire_at
            if silence is not None:
                wake = min(wake, shard.last_valid + silence)
            await asyncio.sleep(max(wake - now, 0.005))
        await ws.close()

    def _on_reply(self, shard: _Shard, reply: MethodReply | MethodError) -> None:
        """Apply an answered request; a rejected one goes to the retries."""
        sent = shard.ledger.settle(reply.id) if shard.ledger is not None else None
        if sent is None:
            self._log.warning("reply_unmatched", shard=shard.index, reply=str(reply)[:200])
            return
        if isinstance(reply, MethodError):
            self._request_failed(shard, sent, f"rejected: {reply.code} {reply.message}")
            return
        if sent.method == "SUBSCRIBE":
            shard.subscribed.update(sent.streams)
        elif sent.method == "UNSUBSCRIBE":
            shard.subscribed.difference_update(sent.streams)
        elif isinstance(reply.result, list) and all(type(s) is str for s in reply.result):
            self._reconciled(shard, set(reply.result))
        else:
            self._log.warning("list_subscriptions_invalid", result=str(reply.result)[:200])

    def _reconciled(self, shard: _Shard, carried: set[str]) -> None:
        """What the connection really carries: the plan's differences are sent again."""
        wanted = self._planner.shards.get(shard.index, frozenset())
        missing, extra = wanted - carried, carried - wanted
        if missing or extra or shard.given_up:
            self._log.warning(
                "subscriptions_differ",
                shard=shard.index,
                missing=sorted(missing)[:20],
                extra=sorted(extra)[:20],
            )
        shard.subscribed = carried
        shard.given_up.clear()
        shard.wake.set()

    def _request_failed(self, shard: _Shard, sent: Pending, why: str) -> None:
        assert shard.ledger is not None
        retry = shard.ledger.may_retry(sent)
        self._log.warning(
            "request_failed",
            shard=shard.index,
            method=sent.method,
            id=sent.id,
            attempt=sent.attempt,
            why=why,
            retry=retry,
        )
        if retry:
            shard.retries.append(sent)
        elif sent.method != LIST:
            shard.given_up.update(sent.streams)
        shard.wake.set()

    async def _sync(self, shard: _Shard, ws: ClientConnection) -> None:
        """Bring the connection's subscriptions to the plan: requests paced per connection,
        each answered, retried or given up; LIST_SUBSCRIPTIONS checks now and then."""
        ledger = shard.ledger
        assert ledger is not None
        bucket = TokenBucket(self.settings.ws_requests_per_s, 1.0, self._clock())
        every = self.settings.ws_list_subscriptions_s
        check_at = self._clock() + every

        async def send(method: str, streams: tuple[str, ...], attempt: int) -> None:
            await bucket.acquire(self._clock)
            rid = next(self._ids)
            params = list(streams) if method != LIST else None
            ledger.sent(rid, method, streams, attempt)
            await ws.send(request(method, params, rid), text=True)
            self._log.info(
                "request_sent",
                shard=shard.index,
                method=method,
                id=rid,
                streams=len(streams),
                attempt=attempt,
            )

        try:
            while True:
                deadline = min(check_at, ledger.next_deadline() or check_at)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(deadline - self._clock(), 0.0)):
                        await shard.wake.wait()
                shard.wake.clear()
                for late in ledger.overdue():
                    self._request_failed(shard, late, "no reply")
                if self._clock() >= check_at:
                    check_at = self._clock() + every
                    await send(LIST, (), 1)
                wanted = self._planner.shards.get(shard.index, frozenset())
                retries, shard.retries = shard.retries, []
                for failed in retries:
                    if failed.method == "SUBSCRIBE":
                        again = [s for s in failed.streams if s in wanted - shard.subscribed]
                    else:
                        again = [s for s in failed.streams if s in shard.subscribed - wanted]
                    if again:
                        await send(failed.method, tuple(again), failed.attempt + 1)
                # Failed while we sent: theirs is the retry, with its attempt count.
                held = shard.given_up.union(*(p.streams for p in shard.retries))
                remove = shard.subscribed - wanted - ledger.in_flight("UNSUBSCRIBE") - held
                add = wanted - shard.subscribed - ledger.in_flight("SUBSCRIBE") - held
                per_request = self.settings.ws_params_per_request
                for method, streams in (("UNSUBSCRIBE", remove), ("SUBSCRIBE", add)):
                    for batch in request_batches(streams, per_request):
                        await send(method, batch, 1)
        except ConnectionClosed:
            return  # the reader sees it too and reconnects

    # ---- state --------------------------------------------------------------------------------

    def _set_connected(self, connected: bool, message: str) -> None:
        changed = connected != self._connected or message != self._message
        self._connected = connected
        self._message = message
        if connected:
            self._retry_at = None
        if changed:
            self._publish()

    def _publish(self) -> None:
        if self._on_state is not None:
            self._on_state(self.state)
