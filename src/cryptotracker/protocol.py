"""The wire protocol between server and browser: the single source of truth.

Every Socket.IO payload is an `Envelope` ``{event, data, timestamp, requestId?}``. Money-like
numbers (prices, volumes, percentages) travel as decimal strings exactly as the exchange wrote
them, so 0.00001234 or 98765432101.12345678 reach the browser digit for digit; clients convert to
float only to draw or to sum for display. Times are integer milliseconds since the Unix epoch.

The TypeScript types in ``web/src/protocol/`` are generated from `json_schema()`; a test fails when
the two drift.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal, NotRequired, TypedDict

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"
SYMBOL_PATTERN = r"^[A-Z0-9]{2,20}$"
DECIMAL_RE = re.compile(DECIMAL_PATTERN)
SYMBOL_RE = re.compile(SYMBOL_PATTERN)

DecimalStr = Annotated[str, StringConstraints(pattern=DECIMAL_PATTERN)]
Symbol = Annotated[str, StringConstraints(pattern=SYMBOL_PATTERN)]
Millis = Annotated[int, Field(ge=0)]

CANDLE_INTERVALS: tuple[str, ...] = ("1m", "5m", "15m", "1h", "4h", "1d")
# At most this many markets listed in a status's `halted`, so one event stays small when many
# markets stop at once (the status message names how many more).
MAX_HALTED = 100
CandleInterval = Literal["1m", "5m", "15m", "1h", "4h", "1d"]


class Source(StrEnum):
    """Where a price came from: a live exchange (`LIVE_SOURCES`), CoinGecko's aggregate (polled,
    not live) or the built-in simulator (never real)."""

    BINANCE = "binance"
    COINBASE = "coinbase"
    KRAKEN = "kraken"
    COINGECKO = "coingecko"
    SIMULATOR = "simulator"


LIVE_SOURCES: frozenset[Source] = frozenset({Source.BINANCE, Source.COINBASE, Source.KRAKEN})


class ClientEvent(StrEnum):
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    PING = "ping"


class ServerEvent(StrEnum):
    BATCH_UPDATE = "batch_update"
    CONNECTION_STATUS = "connection_status"
    CANDLE_UPDATE = "candle_update"
    ERROR = "error"
    PONG = "pong"


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="forbid"
    )


# ---- market data ---------------------------------------------------------------------------


class PriceUpdate(WireModel):
    """The latest state of one market. 24h figures are rolling-window statistics."""

    symbol: Symbol
    price: DecimalStr
    price_change_percent: DecimalStr
    high24h: DecimalStr = Field(alias="high24h")
    low24h: DecimalStr = Field(alias="low24h")
    volume24h: DecimalStr = Field(
        alias="volume24h",
        description="24h traded volume in the quote asset (USDT for BTCUSDT), as the exchange's "
        "quote volume.",
    )
    last_update_time: Millis = Field(description="Exchange event time of this state (ms).")
    source: Source


class CandleData(WireModel):
    """One OHLCV candle; `closed` is false while the candle is still forming."""

    symbol: Symbol
    interval: CandleInterval
    open_time: Millis
    close_time: Millis
    open: DecimalStr
    high: DecimalStr
    low: DecimalStr
    close: DecimalStr
    volume: DecimalStr
    closed: bool
    source: Source


class BatchUpdate(WireModel):
    """Every changed subscribed symbol of one batch interval; `snapshot` marks the reply to a
    subscribe (current values, sent before the next batch)."""

    updates: list[PriceUpdate]
    timestamp: Millis
    snapshot: bool = False


class ConnectionState(StrEnum):
    CONNECTED = "connected"
    DEGRADED = "degraded"
    DISCONNECTED = "disconnected"


class ConnectionStatus(WireModel):
    """Feed health as the server sees it. `live` is false while prices do not come from a live
    exchange (fallback or simulator): clients must say so."""

    status: ConnectionState
    message: str
    timestamp: Millis
    source: Source | None = None
    live: bool = False
    # When the feed next tries to (re)connect; null when no attempt is planned. A deadline,
    # so a client counts down to it instead of showing a figure that goes stale.
    retry_at: Millis | None = None
    restricted: bool = Field(
        default=False,
        description="Binance refuses this server's location (HTTP 451): prices come from "
        "`source`, a fallback, until that changes.",
    )
    halted: dict[Symbol, str] = Field(
        default_factory=dict,
        max_length=MAX_HALTED,
        description="Listed markets that do not trade now: symbol -> the exchange's status "
        "(BREAK, HALT, ...). Their last price is not live.",
    )


class ErrorCode(StrEnum):
    INVALID_PAYLOAD = "invalid_payload"
    UNKNOWN_SYMBOL = "unknown_symbol"
    TOO_MANY_SYMBOLS = "too_many_symbols"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    RATE_LIMITED = "rate_limited"
    UNKNOWN_EVENT = "unknown_event"
    SLOW_CONSUMER = "slow_consumer"
    DELISTED = "delisted"
    INTERNAL = "internal"


class ErrorData(WireModel):
    code: ErrorCode
    message: str
    details: list[str] = Field(default_factory=list)


class Pong(WireModel):
    timestamp: Millis


class PriceDict(TypedDict):
    """`PriceUpdate` as the hot path carries it: already in wire shape (camelCase keys)."""

    symbol: str
    price: str
    priceChangePercent: str
    high24h: str
    low24h: str
    volume24h: str
    lastUpdateTime: int
    source: str


class CandleDict(TypedDict):
    """`CandleData` in wire shape."""

    symbol: str
    interval: str
    openTime: int
    closeTime: int
    open: str
    high: str
    low: str
    close: str
    volume: str
    closed: bool
    source: str


class StatusDict(TypedDict):
    """`ConnectionStatus` in wire shape."""

    status: str
    message: str
    timestamp: int
    source: NotRequired[str | None]
    live: bool
    retryAt: NotRequired[int | None]  # wire name: the deadline of the next attempt (ms)
    restricted: NotRequired[bool]
    halted: NotRequired[dict[str, str]]  # at most MAX_HALTED entries


# ---- client -> server ----------------------------------------------------------------------


class CandleSubscription(WireModel):
    symbol: Symbol
    interval: CandleInterval


class SubscribeRequest(WireModel):
    """Payload of `subscribe` and `unsubscribe`. Symbols are upper case, e.g. BTCUSDT."""

    symbols: list[Symbol] = Field(default_factory=list, max_length=1000)
    candles: list[CandleSubscription] = Field(default_factory=list, max_length=20)
    all: bool = Field(
        default=False,
        description="`unsubscribe` only: drop every symbol and candle stream the connection holds.",
    )
    request_id: str | None = Field(default=None, max_length=64)


class PingRequest(WireModel):
    request_id: str | None = Field(default=None, max_length=64)


class Ack(WireModel):
    """Socket.IO acknowledgement of every client event: what the request changed, and how many
    subscriptions the connection holds after it. A client that applies every ack's changes holds
    what the server holds; counts that differ from its own mean it missed one (it can
    `unsubscribe` with `all` and subscribe again)."""

    ok: bool
    request_id: str | None = None
    added: list[Symbol] = Field(default_factory=list, description="Symbols it subscribed.")
    removed: list[Symbol] = Field(default_factory=list, description="Symbols it unsubscribed.")
    added_candles: list[CandleSubscription] = Field(default_factory=list)
    removed_candles: list[CandleSubscription] = Field(default_factory=list)
    symbol_count: int = Field(default=0, description="Symbols the connection holds after it.")
    candle_count: int = Field(default=0, description="Candle streams it holds after it.")
    error: ErrorData | None = None


# ---- HTTP ----------------------------------------------------------------------------------


class SymbolInfo(WireModel):
    symbol: Symbol
    base_asset: str
    quote_asset: str


class SymbolList(WireModel):
    symbols: list[SymbolInfo]


class PriceList(WireModel):
    """`GET /api/prices`: every known market's latest state."""

    prices: list[PriceUpdate]
    timestamp: Millis
    source: Source | None = None
    live: bool = False
    build: str | None = Field(
        default=None,
        description="The served web app's build id (its index.html `build-id` meta tag); a page "
        "built otherwise offers a reload. Null when no web app is served.",
    )


class CandleList(WireModel):
    """`GET /api/candles/{symbol}`: oldest first; the last one may still be forming."""

    symbol: Symbol
    interval: CandleInterval
    candles: list[CandleData]


class AssetInfo(WireModel):
    """One coin as trackers show it (`GET /api/assets`), keyed by `asset`, the base-asset
    ticker the markets use (BTC of BTCUSDT). Every figure may be unknown (null): the row shows
    what is known. Figures are in USD, as the metadata source states them."""

    asset: str = Field(description="The ticker the markets use, e.g. BTC.")
    id: str | None = Field(default=None, description="The metadata source's id, e.g. bitcoin.")
    name: str | None = None
    logo: str | None = Field(
        default=None, description="Our own URL of the logo (same origin), e.g. /api/logos/bitcoin."
    )
    rank: int | None = Field(default=None, ge=1, description="Rank by market capitalisation.")
    market_cap: DecimalStr | None = None
    circulating_supply: DecimalStr | None = None
    max_supply: DecimalStr | None = None
    change1h: DecimalStr | None = Field(default=None, alias="change1h")
    change7d: DecimalStr | None = Field(default=None, alias="change7d")
    change30d: DecimalStr | None = Field(default=None, alias="change30d")
    sparkline7d: list[float] = Field(
        default_factory=list,
        alias="sparkline7d",
        description="Hourly prices over 7 days, oldest first, in USD: for drawing only.",
    )


class AssetList(WireModel):
    """`GET /api/assets` (with an ETag): every known coin's metadata."""

    assets: list[AssetInfo]
    updated_at: Millis | None = Field(description="When the metadata was last refreshed.")
    source: Source | None = None


class FxRate(WireModel):
    """How many units of `currency` one USDT buys, with where that figure came from."""

    currency: str = Field(pattern=r"^[A-Z]{3,5}$", description="e.g. EUR")
    rate: DecimalStr
    source: str = Field(description='e.g. "binance:EURUSDT" (a live market) or "coingecko".')
    as_of: Millis = Field(description="When the figure behind the rate was current.")


class FxRates(WireModel):
    """`GET /api/rates`: the currencies prices can be shown in, converted from USDT."""

    base: Literal["USDT"] = "USDT"
    rates: list[FxRate]
    timestamp: Millis


class ExchangeQuote(WireModel):
    """One exchange's market now: top of book, spread and last trade, as its REST said at
    the comparison's `asOf`; or why it said nothing (`error`: unreachable, refused, not
    listed there). Decimal strings."""

    source: Source
    serving: bool = Field(description="This exchange's prices are the ones shown now.")
    bid: DecimalStr | None = None
    ask: DecimalStr | None = None
    spread: DecimalStr | None = Field(default=None, description="ask - bid.")
    spread_percent: DecimalStr | None = Field(
        default=None, description="(ask - bid) / mid price * 100, six decimal places."
    )
    last: DecimalStr | None = Field(default=None, description="The last trade's price.")
    last_trade_time: Millis | None = None
    last_trade_age_ms: int | None = Field(
        default=None, ge=0, description="How old the last trade is at `timestamp`."
    )
    error: str | None = None


class ExchangeComparison(WireModel):
    """`GET /api/compare/{symbol}`: the market on each configured live exchange, best first
    (the order prices are taken in)."""

    symbol: Symbol
    quotes: list[ExchangeQuote]
    as_of: Millis = Field(description="When the exchanges were asked (answers are cached).")
    timestamp: Millis


class ComponentHealth(WireModel):
    status: Literal["ok", "degraded", "down"]
    detail: str = ""


class FeedHealth(ComponentHealth):
    """The feed. `detail` ends with the countdown to the next attempt while one is planned;
    `retry_at` is that deadline and `retry_in_s` the seconds left, both as of this request."""

    retry_at: Millis | None = None
    retry_in_s: float | None = None


class LeaseHealth(WireModel):
    """The ingest lease (`ingest:leader` in Redis): whether this instance holds it, and who
    does as Redis says now (null: nobody, or Redis did not answer)."""

    held: bool
    holder: str | None


class Health(WireModel):
    """`GET /health`: 200 while the server can serve prices, 503 when it cannot. Names the
    instance answering, whether it ingests, the lease, Redis's latency, and the feed."""

    status: Literal["ok", "degraded", "down"]
    instance: str
    ingesting: bool
    lease: LeaseHealth | None  # null without Redis (one instance)
    source: Source | None
    live: bool
    circuit: Literal["closed", "open", "half_open"]
    feed: FeedHealth
    redis: ComponentHealth
    redis_latency_ms: float | None  # one PING from this instance; null without or when down
    connections: int
    symbols: int
    last_update_age_s: float | None
    timestamp: Millis


class Readiness(WireModel):
    """`GET /health/ready`: 200 when this instance should get traffic (listening, not shutting
    down, and with fresh prices or still within its start-up grace period), 503 otherwise."""

    ready: bool
    reason: str
    instance: str


class TelemetryBatch(WireModel):
    """`POST /api/telemetry`: client-side measurements, sent in small batches."""

    # NaN, Infinity and 1e309 (which JSON parsers read as infinity) are refused.
    model_config = ConfigDict(**WireModel.model_config, allow_inf_nan=False)

    load_time_ms: float | None = Field(default=None, ge=0, le=600_000)
    time_to_interactive_ms: float | None = Field(default=None, ge=0, le=600_000)
    fps_samples: list[float] = Field(default_factory=list, max_length=120)
    heap_used_bytes: list[float] = Field(default_factory=list, max_length=120)
    reconnects: int = Field(default=0, ge=0, le=10_000)
    web_vitals: dict[str, float] = Field(default_factory=dict, max_length=16)


# ---- envelope ------------------------------------------------------------------------------


class Envelope(WireModel):
    """What every server -> client event carries."""

    event: ServerEvent
    data: PriceUpdate | BatchUpdate | ConnectionStatus | CandleData | ErrorData | Pong
    timestamp: Millis
    request_id: str | None = None


def envelope(
    event: ServerEvent, data: dict[str, Any], timestamp: int, request_id: str | None = None
) -> dict[str, Any]:
    """Wrap already-serialised data; the hot path builds dicts, not models."""
    env: dict[str, Any] = {"event": event.value, "data": data, "timestamp": timestamp}
    if request_id is not None:
        env["requestId"] = request_id
    return env


# ---- schema export -------------------------------------------------------------------------

EXPORTED_MODELS: tuple[type[BaseModel], ...] = (
    PriceUpdate,
    CandleData,
    BatchUpdate,
    ConnectionStatus,
    ErrorData,
    Pong,
    CandleSubscription,
    SubscribeRequest,
    PingRequest,
    Ack,
    Envelope,
    SymbolInfo,
    SymbolList,
    PriceList,
    CandleList,
    AssetInfo,
    AssetList,
    FxRate,
    FxRates,
    ExchangeQuote,
    ExchangeComparison,
    Health,
    Readiness,
    TelemetryBatch,
)


def json_schema() -> dict[str, Any]:
    """One JSON Schema document holding every wire model under `$defs` (by alias)."""
    from pydantic.json_schema import models_json_schema

    _, top = models_json_schema(
        [(m, "serialization") for m in EXPORTED_MODELS],
        ref_template="#/$defs/{model}",
    )
    defs = top["$defs"]
    defs["ClientEvent"] = {"type": "string", "enum": [e.value for e in ClientEvent]}
    defs["ServerEvent"] = {"type": "string", "enum": [e.value for e in ServerEvent]}
    defs["CandleIntervalValues"] = {"type": "string", "enum": list(CANDLE_INTERVALS)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "CryptoTrackerProtocol",
        "type": "object",
        "properties": {name: {"$ref": f"#/$defs/{name}"} for name in sorted(defs)},
        "$defs": defs,
    }
