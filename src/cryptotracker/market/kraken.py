"""The Kraken provider: REST metadata and snapshot, then WebSocket v2 (public data, no keys).

Life cycle (`run()`, until cancelled; every task owned by `run` or its session):

1. REST `AssetPairs` (pairs quoted in `settings.quote_assets`, whatever their status; Kraken's
   names mapped to ours: XXBTZUSD / XBT/USD / BTC/USD -> BTCUSD) and `Ticker` (the start-up
   snapshot, emitted at once).
   AssetPairs is read again every ``kraken_asset_pairs_refresh_s``: new pairs are streamed,
   delisted ones dropped (`FeedSink.on_delisted`), statuses other than ``online``
   (``cancel_only``, ``post_only``, ...) reported in `FeedState.market_status`.
2. One connection to ``{ws_url}`` (wss://ws.kraken.com/v2). ``ticker`` is subscribed for every
   listed pair (each trade moves it: the all-markets feed), ``trade`` for demanded symbols and
   ``ohlc`` for demanded candles, one subscription per interval. `set_demand` diffs demand
   against what Kraken acknowledged (one reply per symbol) and sends subscribe/unsubscribe,
   many symbols per request, paced at ``ws_requests_per_s``; a request unanswered for
   ``ws_reply_timeout_s`` is sent again, a refused symbol is left alone for the session.
3. Keepalive: websockets' protocol pings, Kraken's application ``ping`` every
   ``ws_ping_interval_s``, and Kraken's ``heartbeat`` (about once a second when nothing else is
   sent): no valid frame for ``feed_silence_s`` and the watchdog ends the session.
4. The ``status`` channel: ``maintenance`` ends the session with a clear state ("Kraken is
   in maintenance"), as does ``EService:Unavailable`` from REST; the feed retries behind the
   backoff until Kraken is online again. ``cancel_only`` / ``post_only`` (no matching) keep the
   connection and say so. Failures (drop, silence, refused handshake, REST failure) feed the
   circuit breaker and wait the backoff, at least a refusal's Retry-After; a 451 or 403 marks
   the feed `restricted`.

REST calls share one pace (`kraken_rest_calls_per_s`, Kraken's public limit is about one a
second per address) and stop after a refusal until its wait is over (`kraken_rest.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

import httpx
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from cryptotracker.backoff import Backoff
from cryptotracker.clock import now_ms
from cryptotracker.market import kraken_frames as kf
from cryptotracker.market.binance_rest import retry_after_s
from cryptotracker.market.breaker import CircuitBreaker, CircuitState
from cryptotracker.market.feed import FeedSink, FeedState, FeedStateListener
from cryptotracker.market.kraken_normalize import (
    INTERVAL_MINUTES,
    INTERVAL_NAMES,
    CandleCloser,
    KrakenNormalizeError,
    apply_tickers,
    apply_trades,
    candle_to_dict,
    rest_ohlc_to_candles,
    rest_ticker_to_mini,
    seconds_to_ms,
    top_of_book,
)
from cryptotracker.market.kraken_rest import KrakenRest, KrakenRestError
from cryptotracker.market.kraken_symbols import KrakenMarket, choose_markets
from cryptotracker.market.link import PriceLink, QuoteDict
from cryptotracker.market.normalize import MarketState
from cryptotracker.metrics import (
    EXCHANGE_FRAMES,
    EXCHANGE_FRAMES_INVALID,
    EXCHANGE_RECONNECTS,
    EXCHANGE_UPDATES,
)
from cryptotracker.protocol import CandleDict, PriceDict, Source, SymbolInfo
from cryptotracker.settings import Settings
from cryptotracker.token_bucket import TokenBucket

log = structlog.get_logger(__name__)

MAX_FRAME_BYTES: Final = 8 * 2**20
# Symbols per subscribe/unsubscribe request.
SYMBOLS_PER_REQUEST: Final = 100
# Kraken documents no connection-rate figure; stay polite: a burst of 5, then one a second.
CONNECTS_PER_S: Final = 1.0
CONNECT_BURST: Final = 5.0
RESTRICTED: Final = "restricted location: Kraken refuses this address"
MAINTENANCE: Final = "Kraken is in maintenance"
TICKER: Final = "ticker"
TRADE: Final = "trade"


class FeedFailureError(Exception):
    """A session failed in a way that counts against the breaker."""

    def __init__(
        self,
        reason: str,
        retry_after: float | None = None,
        status: int | None = None,
        *,
        maintenance: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status
        self.maintenance = maintenance


def _key(channel: str, interval: int | None) -> str:
    return f"ohlc:{interval}" if channel == "ohlc" else channel


@dataclass(eq=False)
class _Session:
    """One connection's bookkeeping: what Kraken acknowledged, what is asked and unanswered."""

    ws: ClientConnection
    carried: dict[str, set[str]] = field(default_factory=dict)  # channel key -> v2 names
    # req_id -> (method, channel key, v2 names still unanswered, sent at)
    pending: dict[int, tuple[str, str, set[str], float]] = field(default_factory=dict)
    refused: dict[str, set[str]] = field(default_factory=dict)
    trade_ids: dict[str, int] = field(default_factory=dict)  # v2 name -> last trade id seen
    last_valid: float = 0.0
    live: bool = False
    end: str | None = None
    maintenance: bool = False


class KrakenProvider:
    """A Kraken WebSocket v2 market-data feed with its own breaker, stamped with `source`."""

    def __init__(
        self,
        settings: Settings,
        sink: FeedSink,
        *,
        source: Source = Source.KRAKEN,
        ws_url: str | None = None,
        rest_url: str | None = None,
        on_state: FeedStateListener | None = None,
        breaker: CircuitBreaker | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.source = source
        self.ws_url = ws_url or settings.kraken_ws_url
        self.rest_url = (rest_url or settings.kraken_rest_url).rstrip("/")
        self._sink = sink
        self._on_state = on_state
        self._clock = clock
        self.breaker = breaker or CircuitBreaker.from_settings(source.value, settings, clock)
        self.breaker.add_listener(self._on_circuit)
        self._backoff = backoff or Backoff.from_settings(settings)
        self._market = MarketState(source)
        self._markets: dict[str, KrakenMarket] = {}  # ours -> market
        self._ours: dict[str, str] = {}  # v2 name -> ours
        self._symbols: list[SymbolInfo] = []
        self._asked: tuple[frozenset[str], frozenset[tuple[str, str]]] = (frozenset(), frozenset())
        self._bootstrapped = False
        self._session: _Session | None = None
        self._wake = asyncio.Event()
        self._circuit_changed = asyncio.Event()
        self._ids = itertools.count(1)
        self._connects = TokenBucket(CONNECTS_PER_S, CONNECT_BURST, clock())
        self._rest: KrakenRest | None = None
        self._attempt = 0
        self._connected = False
        self._last_frame_at: float | None = None
        self._message = "not started"
        self._restricted = False
        self._retry_at: float | None = None
        self._system = "online"
        self.maintenance = False  # Kraken said maintenance (status channel or REST EService)
        self.sequence_gaps = 0  # jumps in a market's trade ids (trades lost on the way)
        self._closer = CandleCloser()
        label = source.value
        self._frames = EXCHANGE_FRAMES.labels(label)
        self._invalid = EXCHANGE_FRAMES_INVALID.labels(label)
        self._updates = EXCHANGE_UPDATES.labels(label)
        self._reconnects = EXCHANGE_RECONNECTS.labels(label)
        self._log = log.bind(source=label, ws=self.ws_url)

    # ---- public API ---------------------------------------------------------------------------

    @property
    def state(self) -> FeedState:
        return FeedState(
            source=self.source,
            connected=self._connected,
            live=self._connected and self.source is Source.KRAKEN,
            circuit=self.breaker.state,
            last_frame_at=self._last_frame_at,
            message=self._message,
            retry_at=self._retry_at,
            restricted=self._restricted,
            market_status={s: m.status for s, m in self._markets.items() if m.status != "online"},
        )

    def symbols(self) -> list[SymbolInfo]:
        return self._symbols

    def prices(self) -> list[PriceDict]:
        return self._market.snapshot()

    @property
    def subscriptions(self) -> dict[str, frozenset[str]]:
        """What the open connection carries, as Kraken acknowledged it (channel key -> v2)."""
        session = self._session
        if session is None:
            return {}
        return {k: frozenset(v) for k, v in session.carried.items() if v}

    async def set_demand(
        self, symbols: frozenset[str], candles: frozenset[tuple[str, str]]
    ) -> None:
        """Trades of these symbols and these candles; applied in the background, paced, and
        again after every reconnect. Markets Kraken does not list are ignored."""
        self._asked = (symbols, candles)
        self._closer.keep(candles)
        self._wake.set()

    async def klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        """Candles from REST `OHLC` (at most 720, Kraken's cap), oldest first."""
        minutes = INTERVAL_MINUTES.get(interval)
        if minutes is None:
            raise KrakenRestError(f"OHLC: no interval {interval!r}")
        async with self._rest_client() as rest:
            market = await self._market_of(rest, symbol)
            rows = await rest.ohlc(market.rest, minutes)
        try:
            candles = rest_ohlc_to_candles(rows, symbol, interval, now_ms(), self.source)
        except KrakenNormalizeError as exc:
            raise KrakenRestError(f"OHLC: {exc}") from exc
        return candles[-limit:] if limit > 0 else []

    async def quote(self, symbol: str) -> QuoteDict:
        """Top of book from REST `Depth` (count 1) and the last trade from `Trades` (count 1)."""
        async with self._rest_client() as rest:
            market = await self._market_of(rest, symbol)
            book = await rest.depth(market.rest, 1)
            trades = await rest.trades(market.rest, 1)
        try:
            bid, ask = top_of_book(book if isinstance(book, dict) else {})
            last = last_time = None
            if isinstance(trades, list) and trades:
                row = trades[-1]
                last, last_time = str(row[0]), seconds_to_ms(row[2])
        except (KrakenNormalizeError, IndexError, TypeError) as exc:
            raise KrakenRestError(f"quote: {exc}") from exc
        return {
            "symbol": symbol,
            "source": self.source.value,
            "bid": bid,
            "ask": ask,
            "last": last,
            "lastTradeTime": last_time,
        }

    async def run(self) -> None:
        """Fetch metadata, stream, reconnect; until cancelled."""
        async with self._client() as client:
            self._rest = KrakenRest(client, self.settings.kraken_rest_calls_per_s, self._clock)
            try:
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self._loop(), name="kraken-feed")
                    tasks.create_task(self._refresh_listing(), name="kraken-asset-pairs")
            finally:
                self._rest = None
                self._set_connected(False, "stopped")

    # ---- REST ---------------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        timeout = httpx.Timeout(self.settings.rest_timeout_s)
        return httpx.AsyncClient(
            base_url=self.rest_url, timeout=timeout, proxy=self.settings.exchange_proxy
        )

    @contextlib.asynccontextmanager
    async def _rest_client(self) -> AsyncIterator[KrakenRest]:
        """The running feed's REST (its pace and refusals), or a client of its own."""
        if self._rest is not None:
            yield self._rest
            return
        async with self._client() as client:
            yield KrakenRest(client, self.settings.kraken_rest_calls_per_s, self._clock)

    async def _market_of(self, rest: KrakenRest, symbol: str) -> KrakenMarket:
        if not self._markets:
            self._apply_listing(await rest.asset_pairs())
        market = self._markets.get(symbol)
        if market is None:
            raise KrakenRestError(f"{symbol}: not a Kraken market")
        return market

    def _apply_listing(self, markets: Iterable[KrakenMarket]) -> None:
        chosen = choose_markets(markets, self.settings.quote_assets)
        self._markets = {m.symbol: m for m in chosen}
        self._ours = {m.ws: m.symbol for m in chosen}
        self._symbols = [
            SymbolInfo(symbol=m.symbol, base_asset=m.base, quote_asset=m.quote) for m in chosen
        ]
        self._market.restrict(frozenset(self._markets))

    async def _refresh_listing(self) -> None:
        """AssetPairs again every `kraken_asset_pairs_refresh_s` while the feed is up: new
        pairs are streamed, delisted ones dropped downstream, statuses reported."""
        while True:
            await asyncio.sleep(self.settings.kraken_asset_pairs_refresh_s)
            if self._rest is None or not self._bootstrapped or not self._connected:
                continue
            try:
                markets = await self._rest.asset_pairs()
            except KrakenRestError as exc:
                self._log.warning("asset_pairs_refresh_failed", error=str(exc))
                continue
            before = {s: m.status for s, m in self._markets.items()}
            self._apply_listing(markets)
            after = {s: m.status for s, m in self._markets.items()}
            if after == before:
                continue
            gone = sorted(set(before) - set(after))
            if gone:
                self._sink.on_delisted(gone)
            self._log.info(
                "listing_changed",
                listed=sorted(set(after) - set(before))[:20],
                delisted=gone[:20],
                status={s: st for s, st in after.items() if before.get(s) not in (None, st)},
            )
            self._wake.set()
            if self._connected:
                self._message = self._live_message()
            self._publish()

    async def _bootstrap(self) -> None:
        assert self._rest is not None
        try:
            self._apply_listing(await self._rest.asset_pairs())
            tickers = await self._rest.tickers()
        except KrakenRestError as exc:
            status = 429 if exc.limited and exc.status is None else exc.status
            raise FeedFailureError(
                f"rest: {exc}", exc.retry_after, status, maintenance=exc.unavailable
            ) from exc
        by_rest = {m.rest: m.symbol for m in self._markets.values()}
        stamp = now_ms()
        rows = []
        for key, row in tickers.items():
            symbol = by_rest.get(key)
            if symbol is None or not isinstance(row, dict):
                continue
            try:
                rows.append(rest_ticker_to_mini(row, symbol, stamp))
            except KrakenNormalizeError as exc:
                self._log.warning("ticker_row_invalid", symbol=symbol, error=str(exc))
        self._emit(self._market.apply_mini_tickers(rows))
        self._bootstrapped = True
        self._log.info("bootstrapped", symbols=len(self._markets), snapshot=len(rows))

    # ---- connection loop ----------------------------------------------------------------------

    async def _loop(self) -> None:
        while True:
            await self._wait_for_circuit()
            await self._connects.acquire(self._clock)
            self._reconnects.inc()
            try:
                if not self._bootstrapped:
                    await self._bootstrap()
                await self._run_session()
            except FeedFailureError as exc:
                await self._after_failure(exc)

    async def _connect(self) -> ClientConnection:
        s = self.settings
        try:
            return await connect(
                self.ws_url,
                open_timeout=s.ws_open_timeout_s,
                ping_interval=s.ws_ping_interval_s,
                ping_timeout=s.ws_ping_timeout_s,
                close_timeout=2.0,
                max_size=MAX_FRAME_BYTES,
                compression=None,
                proxy=s.exchange_proxy or True,
            )
        except InvalidStatus as exc:
            response = exc.response
            raise FeedFailureError(
                f"handshake rejected: HTTP {response.status_code}",
                retry_after_s(response.headers.get("Retry-After")),
                response.status_code,
                maintenance=response.status_code == 503,
            ) from exc
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            raise FeedFailureError(f"connect failed: {type(exc).__name__}: {exc}") from exc

    async def _run_session(self) -> None:
        ws = await self._connect()
        session = _Session(ws, last_valid=self._clock())
        self._session = session
        self._log.info("connected")
        self._wake.set()
        syncer = asyncio.create_task(self._sync(session), name="kraken-sync")
        watchdog = asyncio.create_task(self._watch(session), name="kraken-watch")
        try:
            await self._read(session)
        finally:
            syncer.cancel()
            watchdog.cancel()
            await asyncio.gather(syncer, watchdog, return_exceptions=True)
            self._session = None
            await ws.close()

    async def _read(self, session: _Session) -> None:
        handle = self._handle
        while True:
            try:
                raw = await session.ws.recv(decode=False)
            except ConnectionClosed as exc:
                if session.end is not None:
                    raise FeedFailureError(session.end) from exc
                raise FeedFailureError(f"connection dropped: {exc}") from exc
            if handle(session, raw):
                raise FeedFailureError(MAINTENANCE, maintenance=True)

    # ---- frames -------------------------------------------------------------------------------

    def _handle(self, session: _Session, raw: bytes) -> bool:
        """One frame: parse, normalise, hand to the sink. True when Kraken is in maintenance
        (the session ends)."""
        self._frames.inc()
        try:
            event = kf.parse_frame(raw)
        except kf.InvalidFrameError as exc:
            self._invalid.inc()
            self._log.warning("frame_invalid", error=str(exc), frame=raw[:200])
            return False
        session.last_valid = self._clock()
        self._last_frame_at = time.time()
        if isinstance(event, kf.Tickers):
            self._on_tickers(event)
        elif isinstance(event, kf.Trades):
            self._on_trades(session, event)
        elif isinstance(event, kf.Candles):
            self._on_candles(event)
        elif isinstance(event, kf.MethodReply):
            self._on_reply(session, event)
        elif isinstance(event, kf.Status):
            self._on_status(session, event)
            if session.maintenance:
                return True
        if not session.live:
            self._on_live(session)
        return False

    def _on_tickers(self, event: kf.Tickers) -> None:
        self._emit(apply_tickers(self._market, self._ours, event.rows, now_ms()))

    def _on_trades(self, session: _Session, event: kf.Trades) -> None:
        last = session.trade_ids
        for row in event.rows:
            # Kraken numbers trades per book: a jump means trades lost on the way. The price
            # needs no repair (every ticker carries the last one) and candles come from ohlc,
            # so a gap is counted and logged.
            seen = last.get(row.symbol)
            if seen is not None and row.trade_id > seen + 1:
                self.sequence_gaps += 1
                self._log.warning(
                    "trade_sequence_gap", symbol=row.symbol, after=seen, got=row.trade_id
                )
            if seen is None or row.trade_id > seen:
                last[row.symbol] = row.trade_id
        self._emit(apply_trades(self._market, self._ours, event.rows, now_ms()))

    def _on_candles(self, event: kf.Candles) -> None:
        wanted = self._asked[1]
        closer, on_candle = self._closer, self._sink.on_candle
        stamp = now_ms()
        for row in event.rows:
            symbol = self._ours.get(row.symbol)
            name = INTERVAL_NAMES.get(row.interval)
            if symbol is None or name is None or (symbol, name) not in wanted:
                continue
            for candle in closer.seen(candle_to_dict(row, symbol, stamp, self.source)):
                on_candle(candle)

    def _on_status(self, session: _Session, event: kf.Status) -> None:
        self._system = event.system
        if event.system == "maintenance":
            session.maintenance = True
            self.maintenance = True
            self._log.warning("kraken_maintenance", version=event.version)
            self._set_connected(False, f"{MAINTENANCE} (status channel); reconnecting")
            return
        self.maintenance = False
        if session.live:
            self._set_connected(True, self._live_message())

    def _on_reply(self, session: _Session, reply: kf.MethodReply) -> None:
        if reply.method == "pong":
            return
        sent = session.pending.get(reply.req_id) if reply.req_id is not None else None
        if sent is None:
            self._log.warning("reply_unmatched", reply=str(reply)[:200])
            return
        method, key, waiting, _ = sent
        name = reply.symbol
        if name is not None:
            waiting.discard(name)
        if not waiting:
            del session.pending[reply.req_id]  # type: ignore[arg-type]
        if not reply.success:
            self._log.warning("request_refused", method=method, key=key, error=reply.error)
            if name is not None:
                session.refused.setdefault(key, set()).add(name)
            return
        if name is None:
            return
        carried = session.carried.setdefault(key, set())
        if method == "subscribe":
            carried.add(name)
        else:
            carried.discard(name)

    def _on_live(self, session: _Session) -> None:
        session.live = True
        self._attempt = 0
        self._restricted = False
        self.maintenance = False
        self.breaker.record_success()
        self._set_connected(True, self._live_message())

    def _emit(self, updates: list[PriceDict]) -> None:
        on_price = self._sink.on_price
        for update in updates:
            on_price(update)
        self._updates.inc(len(updates))

    # ---- subscriptions ------------------------------------------------------------------------

    def _wanted(self) -> dict[str, set[str]]:
        """Channel key -> v2 names the connection should carry now."""
        symbols, candles = self._asked
        markets = self._markets
        wanted: dict[str, set[str]] = {TICKER: {m.ws for m in markets.values()}}
        wanted[TRADE] = {markets[s].ws for s in symbols if s in markets}
        for symbol, interval in candles:
            minutes = INTERVAL_MINUTES.get(interval)
            if symbol in markets and minutes is not None:
                wanted.setdefault(_key("ohlc", minutes), set()).add(markets[symbol].ws)
        return wanted

    async def _sync(self, session: _Session) -> None:
        """Bring the connection's subscriptions to the demand, paced; unanswered requests are
        sent again after ``ws_reply_timeout_s``."""
        s = self.settings
        bucket = TokenBucket(s.ws_requests_per_s, 1.0, self._clock())
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(s.ws_reply_timeout_s / 2):
                        await self._wake.wait()
                self._wake.clear()
                now = self._clock()
                for rid, (_, _, _, at) in list(session.pending.items()):
                    if now - at >= s.ws_reply_timeout_s:
                        del session.pending[rid]  # unanswered: planned again below
                for method, key, names in self._diff(session):
                    for start in range(0, len(names), SYMBOLS_PER_REQUEST):
                        batch = names[start : start + SYMBOLS_PER_REQUEST]
                        await bucket.acquire(self._clock)
                        rid = next(self._ids)
                        session.pending[rid] = (method, key, set(batch), self._clock())
                        channel, _, interval = key.partition(":")
                        frame = kf.subscription(
                            method, channel, batch, rid, int(interval) if interval else None
                        )
                        await session.ws.send(frame, text=True)
                        self._log.info("request_sent", method=method, key=key, symbols=len(batch))
        except ConnectionClosed:
            return  # the reader sees it too

    def _diff(self, session: _Session) -> list[tuple[str, str, list[str]]]:
        wanted = self._wanted()
        in_flight: dict[tuple[str, str], set[str]] = {}
        for method, key, names, _ in session.pending.values():
            in_flight.setdefault((method, key), set()).update(names)
        out = []
        for key in sorted(set(wanted) | set(session.carried)):
            want = wanted.get(key, set())
            have = session.carried.get(key, set())
            refused = session.refused.get(key, set())
            remove = have - want - in_flight.get(("unsubscribe", key), set())
            add = want - have - refused - in_flight.get(("subscribe", key), set())
            if remove:
                out.append(("unsubscribe", key, sorted(remove)))
            if add:
                out.append(("subscribe", key, sorted(add)))
        return out

    # ---- keepalive ----------------------------------------------------------------------------

    async def _watch(self, session: _Session) -> None:
        """Kraken's ping every ``ws_ping_interval_s``; close the connection after
        ``feed_silence_s`` without a valid frame."""
        silence = self.settings.feed_silence_s
        every = self.settings.ws_ping_interval_s
        ping_at = self._clock() + every
        try:
            while True:
                now = self._clock()
                if now - session.last_valid >= silence:
                    session.end = f"silent for {silence:g}s"
                    self._log.warning("feed_silent", silence_s=silence)
                    break
                if now >= ping_at:
                    ping_at = now + every
                    await session.ws.send(kf.ping(next(self._ids)), text=True)
                wake = min(session.last_valid + silence, ping_at)
                await asyncio.sleep(max(wake - now, 0.005))
        except ConnectionClosed:
            return
        await session.ws.close()

    # ---- failures and state -------------------------------------------------------------------

    async def _after_failure(self, exc: FeedFailureError) -> None:
        self._attempt += 1
        if exc.status is not None:
            self._restricted = exc.status in (451, 403)
        if exc.maintenance:
            self.maintenance = True
        self.breaker.record_failure(exc.reason)
        delay = self._backoff.delay(self._attempt)
        if delay is None:
            open_ = self.breaker.state is CircuitState.OPEN
            delay = 0.0 if open_ else self._backoff.max_s
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        self._log.warning(
            "feed_failure",
            reason=exc.reason,
            attempt=self._attempt,
            delay_s=round(delay, 3),
            circuit=self.breaker.state.value,
        )
        if self.breaker.state is CircuitState.OPEN:
            # The breaker's words stand ("circuit open after N failures"); its probe decides.
            self._connected = False
            self._retry_at = time.time() + max(delay, self.breaker.retry_in())
            self._publish()
        else:
            self._retry_at = time.time() + delay
            why = self._why(exc.reason)
            self._set_connected(False, f"{why}; retry {self._attempt} scheduled")
        if delay > 0:
            await asyncio.sleep(delay)

    def _why(self, reason: str) -> str:
        if self._restricted:
            return f"{RESTRICTED} ({reason})"
        if self.maintenance:
            return MAINTENANCE if reason == MAINTENANCE else f"{MAINTENANCE} ({reason})"
        return reason

    async def _wait_for_circuit(self) -> None:
        while True:
            self._circuit_changed.clear()
            if self.breaker.allow():
                return
            timeout: float | None = None
            if self.breaker.state is CircuitState.OPEN:
                timeout = self.breaker.retry_in()
                if timeout <= 0:
                    continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._circuit_changed.wait()

    def _on_circuit(self, old: CircuitState, new: CircuitState) -> None:
        self._circuit_changed.set()
        if new is CircuitState.OPEN:
            failures, pause = self.breaker.failures, self.breaker.reset_s
            why = ""
            if self._restricted:
                why = f"{RESTRICTED}; "
            elif self.maintenance:
                why = f"{MAINTENANCE}; "
            self._message = f"{why}circuit open after {failures} failures; probe scheduled"
            self._retry_at = time.time() + pause
        self._publish()

    def _live_message(self) -> str:
        text = f"streaming from {urlsplit(self.ws_url).netloc}"
        if self._system != "online":
            text += f"; Kraken's engine is {self._system} (no matching)"
        stopped = sorted((s, m.status) for s, m in self._markets.items() if m.status != "online")
        if stopped:
            named = ", ".join(f"{s} ({st})" for s, st in stopped[:5])
            more = f" and {len(stopped) - 5} more" if len(stopped) > 5 else ""
            text += f"; not online: {named}{more}"
        return text

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


if TYPE_CHECKING:  # mypy proves the provider offers the chain what every provider must

    def _is_price_link(provider: KrakenProvider) -> PriceLink:
        return provider
