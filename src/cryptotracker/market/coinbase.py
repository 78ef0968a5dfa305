"""The Coinbase Exchange provider: public market data, no keys (docs/exchanges.md).

Life cycle (`run()`, until cancelled; every task owned by its TaskGroup):

1. REST `GET /products`: the markets of `settings.quote_assets` (BTC-USD is our BTCUSD);
   a market that is not `online`, has `trading_disabled`, or is in an auction (`auction_mode`),
   is reported in `FeedState.market_status`. Read again every `coinbase_products_refresh_s`:
   new markets are streamed, delisted ones handed to the sink's `on_delisted`.
2. One WebSocket connection to the feed, subscribed at once (Coinbase disconnects a client that
   has not subscribed within 5 s): `ticker` and `heartbeat` for every listed market, `matches`
   for the demanded ones. `set_demand` sends the difference as `subscribe`/`unsubscribe`; the
   `subscriptions` reply says what the connection really carries, and what is still missing is
   asked again after `ws_reply_timeout_s`.
3. Prices: a `ticker` carries the 24 h statistics (base volume; quote volume = base x price), a
   `match` the last trade; both go through `MarketState` like Binance's. Demanded markets are
   seeded from REST (`/stats` + `/ticker`) so their trades show before their first ticker.
4. Ordering and loss. Each market's messages carry an increasing `sequence`; one older than a
   message already applied arrived out of order and is skipped (`..._frames_stale_total`), so
   no price older than one shown is shown. Coinbase's sequence counts every message of the
   market's full feed, so on ticker/matches it skips by design; loss shows in the trade ids
   instead, consecutive per market: a match whose trade id jumps, or a heartbeat whose
   `last_trade_id` is past the last match seen, is a gap (`..._sequence_gaps_total`): the
   market is read again from REST (merged only where newer) and the feed goes on.
5. Failures (a drop, a refused handshake, silence: no valid frame for `feed_silence_s` while
   heartbeats come every second) feed the circuit breaker and wait the shared backoff (or a
   longer Retry-After). A 403/451 refusal marks the state `restricted`.

Live candles of demanded (symbol, interval) pairs are built from matches (the feed has no candle
channel); history comes from REST `/candles` (4 h merged from 1 h).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any, Final

import httpx
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from cryptotracker.backoff import Backoff
from cryptotracker.clock import now_ms
from cryptotracker.market.binance_rest import RestError, retry_after_s
from cryptotracker.market.breaker import CircuitBreaker, CircuitState
from cryptotracker.market.coinbase_frames import (
    HEARTBEAT,
    MATCHES,
    TICKER,
    ErrorMessage,
    Heartbeat,
    InvalidFrameError,
    Match,
    Subscriptions,
    Ticker,
    iso_ms,
    parse_frame,
    request,
)
from cryptotracker.market.coinbase_normalize import (
    GRANULARITY,
    INTERVAL_S,
    candles_of,
    match_trade,
    parse_candle_rows,
    rest_snapshot_row,
    ticker_row,
)
from cryptotracker.market.coinbase_rest import MAX_CANDLES, CoinbaseRest
from cryptotracker.market.feed import FeedSink, FeedState, FeedStateListener
from cryptotracker.market.link import QuoteDict
from cryptotracker.market.normalize import MarketState, NormalizeError
from cryptotracker.market.trade_candles import TradeCandles
from cryptotracker.metrics import (
    EXCHANGE_FRAMES,
    EXCHANGE_FRAMES_INVALID,
    EXCHANGE_FRAMES_STALE,
    EXCHANGE_RECONNECTS,
    EXCHANGE_SEQUENCE_GAPS,
    EXCHANGE_UPDATES,
)
from cryptotracker.protocol import CandleDict, Source, SymbolInfo
from cryptotracker.settings import Settings
from cryptotracker.token_bucket import TokenBucket

log = structlog.get_logger(__name__)

TRADING: Final = "TRADING"
MAX_FRAME_BYTES: Final = 4 * 2**20
# Coinbase: 8 connection requests/s per IP, bursts of 20; stay well under.
CONNECTS_PER_S: Final = 4.0
CONNECT_BURST: Final = 10.0
# Refusals that mean "not from where you are", not an outage.
GEO_STATUSES: Final = frozenset({403, 451})
RESTRICTED: Final = "restricted location: Coinbase refuses this address"

Channels = dict[str, frozenset[str]]


class FeedFailureError(Exception):
    """A session failed in a way that counts against the breaker."""

    def __init__(
        self, reason: str, retry_after: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status


def market_status(row: dict[str, Any]) -> str:
    """Coinbase's product status in Binance's words: TRADING, or why not."""
    if row.get("trading_disabled") is True:
        return "HALT"
    status = row.get("status")
    # An online book in auction mode collects orders without matching them (the docs' own
    # example product is one): no trades until the auction completes.
    if status == "online" and row.get("auction_mode") is True:
        return "AUCTION"
    if status == "online" and row.get("cancel_only") is not True:
        return TRADING
    return "CANCEL_ONLY" if status == "online" else str(status).upper()


class CoinbaseProvider:
    """A Coinbase Exchange market-data feed with its own breaker, stamped with `source`."""

    def __init__(
        self,
        settings: Settings,
        sink: FeedSink,
        *,
        source: Source = Source.COINBASE,
        ws_url: str | None = None,
        rest_url: str | None = None,
        on_state: FeedStateListener | None = None,
        breaker: CircuitBreaker | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.source = source
        self.ws_url = ws_url or settings.coinbase_ws_url
        self.rest_url = (rest_url or settings.coinbase_rest_url).rstrip("/")
        self._sink = sink
        self._on_state = on_state
        self._clock = clock
        self.breaker = breaker or CircuitBreaker.from_settings(source.value, settings, clock)
        self.breaker.add_listener(self._on_circuit)
        self._backoff = backoff or Backoff.from_settings(settings)
        self._market = MarketState(source)
        self._candles = TradeCandles(source, INTERVAL_S)
        self._symbols: list[SymbolInfo] = []
        self._product: dict[str, str] = {}  # our symbol -> product id
        self._symbol: dict[str, str] = {}  # product id -> our symbol
        self._status: dict[str, str] = {}  # our symbol -> TRADING or why not
        self._asked: tuple[frozenset[str], frozenset[tuple[str, str]]] = (frozenset(), frozenset())
        self._wanted: Channels = {}
        self._carried: Channels = {}
        self._asked_at = -1e9  # when we last sent a (un)subscribe not yet confirmed
        self._wake = asyncio.Event()
        self._last_seq: dict[str, int] = {}  # product -> newest sequence applied
        self._last_trade: dict[str, int] = {}  # product -> newest trade id seen (matches)
        self._resync: dict[str, None] = {}  # products to read again from REST, in order
        self._resync_wake = asyncio.Event()
        self._bootstrapped = False
        self._rest: CoinbaseRest | None = None
        self._connects = TokenBucket(CONNECTS_PER_S, CONNECT_BURST, clock())
        self._circuit_changed = asyncio.Event()
        self._attempt = 0
        self._live = False
        self._was_live = False  # some session had data: the next one comes after an outage
        self._last_valid = 0.0
        self._end: str | None = None
        self._connected = False
        self._last_frame_at: float | None = None
        self._message = "not started"
        self._restricted = False
        self._retry_at: float | None = None
        label = source.value
        self._frames = EXCHANGE_FRAMES.labels(label)
        self._invalid = EXCHANGE_FRAMES_INVALID.labels(label)
        self._stale_frames = EXCHANGE_FRAMES_STALE.labels(label)
        self._gaps = EXCHANGE_SEQUENCE_GAPS.labels(label)
        self._updates = EXCHANGE_UPDATES.labels(label)
        self._reconnects = EXCHANGE_RECONNECTS.labels(label)
        self._log = log.bind(source=label, ws=self.ws_url)

    # ---- public API ---------------------------------------------------------------------------

    @property
    def state(self) -> FeedState:
        return FeedState(
            source=self.source,
            connected=self._connected,
            live=self._connected and self.source is Source.COINBASE,
            circuit=self.breaker.state,
            last_frame_at=self._last_frame_at,
            message=self._message,
            retry_at=self._retry_at,
            restricted=self._restricted,
            market_status={s: st for s, st in self._status.items() if st != TRADING},
        )

    def symbols(self) -> list[SymbolInfo]:
        return self._symbols

    @property
    def subscriptions(self) -> Channels:
        """What the open connection carries, as Coinbase's last `subscriptions` said."""
        return dict(self._carried)

    async def set_demand(
        self, symbols: frozenset[str], candles: frozenset[tuple[str, str]]
    ) -> None:
        """Matches for these symbols and for the candles' symbols; applied in the background
        and again after every reconnect. Demanded markets not yet priced are read from REST."""
        self._asked = (symbols, candles)
        self._apply_demand()

    async def klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        """Candles from REST `/products/{id}/candles`, oldest first (raises `RestError`)."""
        if interval not in GRANULARITY:
            raise RestError(f"interval {interval!r} is not served")
        product = self._product.get(symbol) or _guess_product(symbol, self.settings.quote_assets)
        granularity, per = GRANULARITY[interval]
        span = granularity * per
        now_s = int(time.time())
        first = (now_s // span - limit + 1) * span
        rows: dict[int, tuple[int, str, str, str, str, str]] = {}
        async with self._rest_client() as rest:
            start = first
            while start <= now_s:
                end = min(start + granularity * (MAX_CANDLES - 1), now_s)
                body = await rest.candles(product, granularity, start, end)
                try:
                    for row in parse_candle_rows(body):
                        rows[row[0]] = row
                except NormalizeError as exc:
                    raise RestError(f"candles: {exc}") from exc
                start = end + granularity
        candles = candles_of(
            [rows[t] for t in sorted(rows) if t >= first], symbol, interval, self.source, now_ms()
        )
        return candles[-limit:]

    async def quote(self, symbol: str) -> QuoteDict:
        """Top of book (`/book?level=1`) and last trade (`/ticker`) from REST."""
        product = self._product.get(symbol) or _guess_product(symbol, self.settings.quote_assets)
        async with self._rest_client() as rest:
            book = await rest.book_top(product)
            ticker = await rest.ticker(product)
        try:
            last_time: int | None = iso_ms(ticker.get("time"))
        except InvalidFrameError:
            last_time = None
        price = ticker.get("price")
        return {
            "symbol": symbol,
            "source": self.source.value,
            "bid": _top(book.get("bids")),
            "ask": _top(book.get("asks")),
            "last": price if isinstance(price, str) else None,
            "lastTradeTime": last_time,
        }

    async def run(self) -> None:
        """Fetch the markets, stream, reconnect; until cancelled."""
        async with self._client() as client:
            self._rest = CoinbaseRest(client, self._clock)
            try:
                async with asyncio.TaskGroup() as tasks:
                    tasks.create_task(self._loop(), name="coinbase-ws")
                    tasks.create_task(self._resyncer(), name="coinbase-resync")
                    tasks.create_task(self._refresh_products(), name="coinbase-products")
            finally:
                self._rest = None
                self._set_connected(False, "stopped")

    # ---- plumbing -----------------------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        timeout = httpx.Timeout(self.settings.rest_timeout_s)
        return httpx.AsyncClient(
            base_url=self.rest_url, timeout=timeout, proxy=self.settings.exchange_proxy
        )

    @contextlib.asynccontextmanager
    async def _rest_client(self) -> Any:
        """The running feed's REST (one budget), or a client of its own when not running."""
        if self._rest is not None:
            yield self._rest
            return
        async with self._client() as client:
            yield CoinbaseRest(client, self._clock)

    def _apply_demand(self) -> None:
        symbols, candles = self._asked
        self._candles.want(candles)
        if not self._bootstrapped:
            return
        demanded = {s for s in symbols | {c[0] for c in candles} if s in self._product}
        every = frozenset(self._product.values())
        self._wanted = {
            TICKER: every,
            HEARTBEAT: every,
            MATCHES: frozenset(self._product[s] for s in demanded),
        }
        for product in [p for p in self._last_trade if p not in self._wanted[MATCHES]]:
            del self._last_trade[product]  # a later subscription starts a new count
        for symbol in sorted(demanded):
            if symbol not in self._market:
                self._queue_resync(self._product[symbol])
        self._asked_at = -1e9
        self._wake.set()

    # ---- connection loop ----------------------------------------------------------------------

    async def _loop(self) -> None:
        while True:
            await self._wait_for_circuit()
            await self._connects.acquire(self._clock)
            self._reconnects.inc()
            try:
                if not self._bootstrapped:
                    await self._bootstrap()
                await self._session()
            except FeedFailureError as exc:
                await self._after_failure(exc)

    async def _bootstrap(self) -> None:
        assert self._rest is not None
        try:
            rows = await self._rest.products()
        except RestError as exc:
            raise FeedFailureError(f"rest: {exc}", exc.retry_after, exc.status) from exc
        self.list_products(rows)
        self._bootstrapped = True
        self._log.info("bootstrapped", markets=len(self._product))
        self._apply_demand()

    async def _refresh_products(self) -> None:
        """`GET /products` again every `coinbase_products_refresh_s` while the feed is up: new
        markets are streamed, delisted ones dropped downstream, stopped ones marked."""
        while True:
            await asyncio.sleep(self.settings.coinbase_products_refresh_s)
            if self._rest is None or not self._bootstrapped or not self._connected:
                continue
            try:
                rows = await self._rest.products()
            except RestError as exc:
                self._log.warning("products_refresh_failed", error=str(exc))
                continue
            before, status = set(self._product), dict(self._status)
            self.list_products(rows)
            gone = sorted(before - set(self._product))
            if gone:
                self._sink.on_delisted(gone)
            if gone or set(self._product) != before or status != self._status:
                self._log.info("products_changed", delisted=gone[:20], markets=len(self._product))
                self._apply_demand()
                self._publish()

    def list_products(self, rows: list[dict[str, Any]]) -> None:
        """A `GET /products` answer: the markets of `settings.quote_assets` and their status."""
        quotes = set(self.settings.quote_assets)
        infos, product, status = [], {}, {}
        for row in rows:
            pid, base, quote = row.get("id"), row.get("base_currency"), row.get("quote_currency")
            if not (isinstance(pid, str) and isinstance(base, str) and isinstance(quote, str)):
                continue
            symbol = f"{base}{quote}"
            if quote not in quotes or not 2 <= len(symbol) <= 20 or not symbol.isalnum():
                continue
            infos.append(SymbolInfo(symbol=symbol, base_asset=base, quote_asset=quote))
            product[symbol] = pid
            status[symbol] = market_status(row)
        self._symbols = sorted(infos, key=lambda i: i.symbol)
        self._product = product
        self._symbol = {pid: s for s, pid in product.items()}
        self._status = status
        self._market.restrict(frozenset(product))

    def handle_frame(self, raw: bytes) -> None:
        """One feed frame, as the connection hands it on (public for the parser benchmark)."""
        self._handle(raw)

    async def _session(self) -> None:
        ws = await self._connect()
        self._live = False
        self._end = None
        self._last_valid = self._clock()
        self._carried = {}
        self._asked_at = -1e9
        # Orders are judged within a session: the exchange may renumber after maintenance, and
        # what a new connection brings is never older than the REST re-read after the outage.
        self._last_seq.clear()
        self._last_trade.clear()
        self._wake.set()
        self._log.info("connected")
        syncer = asyncio.create_task(self._sync(ws), name="coinbase-sync")
        watchdog = asyncio.create_task(self._watch(ws), name="coinbase-watch")
        try:
            while True:
                try:
                    raw = await ws.recv(decode=False)
                except ConnectionClosed as exc:
                    why = self._end or f"connection dropped: {exc}"
                    raise FeedFailureError(why) from exc
                self._handle(raw)
        finally:
            syncer.cancel()
            watchdog.cancel()
            await asyncio.gather(syncer, watchdog, return_exceptions=True)
            self._carried = {}
            await ws.close()

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
            ) from exc
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            raise FeedFailureError(f"connect failed: {type(exc).__name__}: {exc}") from exc

    async def _sync(self, ws: ClientConnection) -> None:
        """Bring the connection's subscriptions to the plan; what the `subscriptions` reply
        does not show is asked again after `ws_reply_timeout_s`."""
        timeout = self.settings.ws_reply_timeout_s
        # Paced: a reply that still lacks something (a refused product) must not start a loop.
        bucket = TokenBucket(self.settings.ws_requests_per_s, 2.0, self._clock())
        with contextlib.suppress(ConnectionClosed):
            while True:
                wait = max(self._asked_at + timeout - self._clock(), 0.0)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait if wait > 0 else None):
                        await self._wake.wait()
                self._wake.clear()
                if self._clock() < self._asked_at + timeout:
                    continue  # a request is in flight: its reply wakes us
                add, remove = _diff(self._wanted, self._carried)
                if add or remove:
                    await bucket.acquire(self._clock)
                if remove:
                    await ws.send(request("unsubscribe", remove), text=True)
                if add:
                    await ws.send(request("subscribe", add), text=True)
                if add or remove:
                    self._asked_at = self._clock()
                    self._log.info(
                        "subscriptions_sent",
                        add={k: len(v) for k, v in add.items()},
                        remove={k: len(v) for k, v in remove.items()},
                    )

    async def _watch(self, ws: ClientConnection) -> None:
        """Close the connection when no valid frame came for `feed_silence_s`."""
        silence = self.settings.feed_silence_s
        while True:
            now = self._clock()
            if now - self._last_valid >= silence:
                self._end = f"silent for {silence:g}s"
                self._log.warning("feed_silent", silence_s=silence)
                break
            await asyncio.sleep(max(self._last_valid + silence - now, 0.005))
        await ws.close()

    # ---- frames -------------------------------------------------------------------------------

    def _handle(self, raw: bytes) -> None:
        self._frames.inc()
        try:
            event = parse_frame(raw)
        except InvalidFrameError as exc:
            self._invalid.inc()
            self._log.warning("frame_invalid", error=str(exc), frame=raw[:200])
            return
        self._last_valid = self._clock()
        self._last_frame_at = time.time()
        if isinstance(event, Ticker):
            self._on_ticker(event)
        elif isinstance(event, Match):
            self._on_match(event)
        elif isinstance(event, Heartbeat):
            self._on_heartbeat(event)
        elif isinstance(event, Subscriptions):
            self._carried = dict(event.channels)
            self._asked_at = -1e9
            self._wake.set()
            return  # a reply, not data: not yet proof that the feed flows
        elif isinstance(event, ErrorMessage):
            self._log.warning("feed_error", message=event.message, reason=event.reason)
            return
        if not self._live:
            self._on_live()

    def _fresh(self, product: str, sequence: int) -> bool:
        """Whether a message is not older than one already applied (and note it if so)."""
        last = self._last_seq.get(product)
        if last is not None and sequence < last:
            self._stale_frames.inc()
            return False
        self._last_seq[product] = sequence
        return True

    def _on_ticker(self, t: Ticker) -> None:
        symbol = self._symbol.get(t.product_id)
        if symbol is None or not self._fresh(t.product_id, t.sequence):
            return
        for price in self._market.apply_mini_tickers([ticker_row(t, symbol)]):
            self._sink.on_price(price)
            self._updates.inc()

    def _on_match(self, m: Match) -> None:
        symbol = self._symbol.get(m.product_id)
        if symbol is None:
            return
        last = self._last_trade.get(m.product_id)
        if last is not None and m.trade_id <= last:
            self._stale_frames.inc()
            return
        if not self._fresh(m.product_id, m.sequence):
            return
        if last is not None and m.trade_id > last + 1 and not m.last:
            self._gap(m.product_id, f"trade id {last} -> {m.trade_id}")
        self._last_trade[m.product_id] = m.trade_id
        price = self._market.apply_trade(match_trade(m, symbol))
        if price is not None:
            self._sink.on_price(price)
            self._updates.inc()
        for candle in self._candles.on_trade(symbol, m.price, m.size, m.time_ms):
            self._sink.on_candle(candle)

    def _on_heartbeat(self, h: Heartbeat) -> None:
        last = self._last_trade.get(h.product_id)
        if (
            last is not None
            and h.last_trade_id > last
            and h.product_id in self._carried.get(MATCHES, ())
        ):
            self._last_trade[h.product_id] = h.last_trade_id
            self._gap(h.product_id, f"heartbeat last trade {h.last_trade_id}, seen {last}")

    def _gap(self, product: str, why: str) -> None:
        self._gaps.inc()
        self._log.warning("sequence_gap", product=product, why=why)
        self._queue_resync(product)

    def _queue_resync(self, product: str) -> None:
        self._resync[product] = None
        self._resync_wake.set()

    async def _resyncer(self) -> None:
        """Read the queued markets again from REST (stats + ticker), merged only where newer."""
        while True:
            await self._resync_wake.wait()
            self._resync_wake.clear()
            while self._resync and self._rest is not None:
                product = next(iter(self._resync))
                del self._resync[product]
                await self._reseed(self._rest, product)

    async def _reseed(self, rest: CoinbaseRest, product: str) -> None:
        symbol = self._symbol.get(product)
        if symbol is None:
            return
        try:
            stats = await rest.stats(product)
            ticker = await rest.ticker(product)
            row = rest_snapshot_row(symbol, stats, ticker)
        except (RestError, NormalizeError) as exc:
            self._log.warning("reseed_failed", product=product, error=str(exc))
            if isinstance(exc, RestError) and exc.status == 429:
                self._queue_resync(product)  # after the hold the REST client waits out
            return
        trade_id = ticker.get("trade_id")
        if type(trade_id) is int and product in self._last_trade:
            self._last_trade[product] = max(self._last_trade[product], trade_id)
        for price in self._market.apply_mini_tickers([row]):
            self._sink.on_price(price)
            self._updates.inc()
        self._log.info("reseeded", product=product)

    # ---- state --------------------------------------------------------------------------------

    def _on_live(self) -> None:
        if self._was_live:
            # Back after an outage: trades were missed; the demanded markets are read again.
            for product in sorted(self._wanted.get(MATCHES, ())):
                self._queue_resync(product)
        self._was_live = True
        self._live = True
        self._attempt = 0
        self._restricted = False
        self._set_connected(True, f"streaming from {self.ws_url}")
        self.breaker.record_success()

    async def _after_failure(self, exc: FeedFailureError) -> None:
        self._attempt += 1
        if exc.status is not None:
            self._restricted = exc.status in GEO_STATUSES
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
        self._retry_at = time.time() + delay
        why = f"{RESTRICTED} ({exc.reason})" if self._restricted else exc.reason
        self._set_connected(False, f"{why}; retry {self._attempt} scheduled")
        if delay > 0:
            await asyncio.sleep(delay)

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
            why = f"{RESTRICTED}; " if self._restricted else ""
            failures = self.breaker.failures
            self._message = f"{why}circuit open after {failures} failures; probe scheduled"
            self._retry_at = time.time() + self.breaker.reset_s
        self._publish()

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


def _diff(wanted: Channels, carried: Channels) -> tuple[Channels, Channels]:
    add, remove = {}, {}
    for name in set(wanted) | set(carried):
        more = wanted.get(name, frozenset()) - carried.get(name, frozenset())
        less = carried.get(name, frozenset()) - wanted.get(name, frozenset())
        if more:
            add[name] = more
        if less:
            remove[name] = less
    return add, remove


def _top(levels: object) -> str | None:
    """The price of the first level of a book side `[[price, size, orders], ...]`."""
    if isinstance(levels, list) and levels and isinstance(levels[0], list) and levels[0]:
        price = levels[0][0]
        return price if isinstance(price, str) else None
    return None


def _guess_product(symbol: str, quotes: list[str]) -> str:
    """BTCUSD -> BTC-USD before the market list is known (longest quote asset first)."""
    for quote in sorted(quotes, key=len, reverse=True):
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return f"{symbol[: -len(quote)]}-{quote}"
    raise RestError(f"unknown market {symbol!r}")
