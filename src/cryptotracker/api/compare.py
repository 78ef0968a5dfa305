"""`GET /api/compare/{symbol}`: one market on every configured live exchange (bid, ask, spread,
last trade and its age), so a user sees how the exchange serving the price compares.

Every exchange is asked at once, each within `compare_timeout_s`; one that fails or is too slow
is shown with its error, the others still are. A comparison is kept `compare_cache_s` per
market and filled by one round however many clients ask (single flight); new rounds are paced
as a whole (each costs REST weight on every exchange): without a token an expired comparison is
served, or 503.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, NamedTuple, Protocol, runtime_checkable

import structlog
from fastapi import APIRouter, Depends, HTTPException, Path, Request

from cryptotracker.api.backend import Backend, CandleNotFoundError, CandleUnavailableError
from cryptotracker.api.guard import rate_limited
from cryptotracker.clock import now_ms
from cryptotracker.protocol import (
    SYMBOL_PATTERN,
    ExchangeComparison,
    ExchangeQuote,
    Source,
    SymbolInfo,
)
from cryptotracker.token_bucket import TokenBucket

log = structlog.get_logger(__name__)

# Comparisons kept (one per market asked about); the least recently used goes first.
MAX_ENTRIES = 256
_PERCENT = Decimal("0.000001")


class Quoter(Protocol):
    """A live exchange link as the comparison needs it (market.link.PriceLink is one)."""

    @property
    def source(self) -> Source: ...

    def symbols(self) -> list[SymbolInfo]: ...

    async def quote(self, symbol: str) -> Mapping[str, Any]: ...


@runtime_checkable
class Comparable(Protocol):
    """An exchange side whose exchanges can be compared (market.sources.SourceChain)."""

    def quote_links(self) -> Sequence[Quoter]: ...

    def serving(self, symbol: str) -> Source | None: ...


class Answer(NamedTuple):
    """One exchange's reply: its quote, or why there is none."""

    source: Source
    quote: Mapping[str, Any] | None
    error: str | None


Round = tuple[int, list[Answer]]  # (when asked, ms; the answers)


async def ask_all(links: Sequence[Quoter], symbol: str, timeout_s: float) -> list[Answer]:
    """Every link's quote of `symbol` at once, each within `timeout_s`, in the links' order."""

    async def ask(link: Quoter) -> Answer:
        listed = link.symbols()
        if listed and all(info.symbol != symbol for info in listed):
            return Answer(link.source, None, "not listed on this exchange")
        try:
            async with asyncio.timeout(timeout_s):
                return Answer(link.source, await link.quote(symbol), None)
        except TimeoutError:
            return Answer(link.source, None, f"no answer within {timeout_s:g} s")
        except (OSError, RuntimeError, ValueError) as exc:
            log.info("compare_quote_failed", source=link.source.value, error=str(exc))
            return Answer(link.source, None, _why(exc))

    return list(await asyncio.gather(*(ask(link) for link in links)))


def _why(exc: Exception) -> str:
    """What a user is told of an exchange's failure (the details, addresses included, are
    logged, not shown)."""
    status = getattr(exc, "status", None)
    if status in (403, 451):
        return f"refuses this server's location (HTTP {status})"
    if status in (418, 429):
        return f"rate limited (HTTP {status})"
    if isinstance(status, int):
        return f"unavailable (HTTP {status})"
    if getattr(exc, "retry_after", None) is not None:
        return "not asked: our request budget for it is spent"
    return "unreachable or gave no usable answer"


def comparison(symbol: str, asked: Round, serving: Source | None, now: int) -> ExchangeComparison:
    """The wire answer: ages as of `now`, spreads from the book."""
    as_of, answers = asked
    quotes = []
    for answer in answers:
        fields: dict[str, Any] = {"source": answer.source, "serving": answer.source is serving}
        if answer.quote is None:
            fields["error"] = answer.error
        else:
            q = answer.quote
            bid, ask, at = q.get("bid"), q.get("ask"), q.get("lastTradeTime")
            fields |= {"bid": bid, "ask": ask, "last": q.get("last"), "last_trade_time": at}
            fields |= _spread(bid, ask)
            if isinstance(at, int):
                fields["last_trade_age_ms"] = max(0, now - at)
        quotes.append(ExchangeQuote.model_validate(fields))
    return ExchangeComparison(symbol=symbol, quotes=quotes, as_of=as_of, timestamp=now)


def _spread(bid: object, ask: object) -> dict[str, str]:
    if not isinstance(bid, str) or not isinstance(ask, str):
        return {}
    try:
        low, high = Decimal(bid), Decimal(ask)
    except InvalidOperation:
        return {}
    spread = {"spread": f"{high - low:f}"}
    mid = (high + low) / 2
    if mid > 0:
        spread["spread_percent"] = f"{((high - low) / mid * 100).quantize(_PERCENT):f}"
    return spread


class QuoteBoard:
    """symbol -> the last round of answers, for `ttl_s`; concurrent misses share one round,
    which a caller going away does not cancel; new rounds take a token of `upstream`."""

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[list[Answer]]],
        ttl_s: float,
        upstream: TokenBucket,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl_s
        self._upstream = upstream
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Round]] = OrderedDict()
        self._flights: dict[str, asyncio.Task[Round]] = {}

    async def get(self, symbol: str) -> Round:
        entry = self._entries.get(symbol)
        now = self._clock()
        if entry is not None and now - entry[0] < self._ttl:
            self._entries.move_to_end(symbol)
            return entry[1]
        flight = self._flights.get(symbol)
        if flight is None:
            if not self._upstream.take(now):
                if entry is not None:
                    return entry[1]
                raise CandleUnavailableError("exchange comparison is busy; retry in a second")
            flight = asyncio.create_task(self._fill(symbol), name=f"compare-{symbol}")
            flight.add_done_callback(_retrieve)  # its callers may all have gone
            self._flights[symbol] = flight
        return await asyncio.shield(flight)

    async def _fill(self, symbol: str) -> Round:
        try:
            asked = (now_ms(), await self._fetch(symbol))
        finally:
            del self._flights[symbol]
        self._entries[symbol] = (self._clock(), asked)
        self._entries.move_to_end(symbol)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
        return asked

    async def close(self) -> None:
        """Cancel rounds still in flight (shutdown)."""
        flights = list(self._flights.values())
        for flight in flights:
            flight.cancel()
        await asyncio.gather(*flights, return_exceptions=True)


def _retrieve(task: asyncio.Task[Round]) -> None:
    if not task.cancelled():
        task.exception()


router = APIRouter()


@router.get(
    "/api/compare/{symbol}",
    response_model=ExchangeComparison,
    tags=["market"],
    dependencies=[Depends(rate_limited("candles"))],
)
async def compare(
    request: Request,
    symbol: Annotated[str, Path(pattern=SYMBOL_PATTERN, description="e.g. BTCUSDT")],
) -> ExchangeComparison:
    """The market on each configured live exchange; an exchange's failure is its row's
    `error`, not the answer's."""
    backend: Backend = request.app.state.backend
    try:
        return await backend.compare(symbol)
    except CandleNotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    except CandleUnavailableError as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from exc
