"""Prometheus metrics of every part, in one registry so /metrics exports them together."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

# exchange side
EXCHANGE_FRAMES = Counter(
    "cryptotracker_exchange_frames_total",
    "Frames received from the exchange",
    ["source"],
    registry=REGISTRY,
)
EXCHANGE_FRAMES_INVALID = Counter(
    "cryptotracker_exchange_frames_invalid_total",
    "Exchange frames that failed to parse",
    ["source"],
    registry=REGISTRY,
)
EXCHANGE_UPDATES = Counter(
    "cryptotracker_exchange_updates_total",
    "Normalised price updates from the exchange",
    ["source"],
    registry=REGISTRY,
)
EXCHANGE_RECONNECTS = Counter(
    "cryptotracker_exchange_reconnects_total",
    "Exchange (re)connection attempts",
    ["source"],
    registry=REGISTRY,
)
EXCHANGE_SEQUENCE_GAPS = Counter(
    "cryptotracker_exchange_sequence_gaps_total",
    "Messages an exchange feed lost (a gap in its per-market sequence or trade ids), each "
    "answered by re-reading that market from REST",
    ["source"],
    registry=REGISTRY,
)
EXCHANGE_FRAMES_STALE = Counter(
    "cryptotracker_exchange_frames_stale_total",
    "Exchange messages older than one already applied (out of order): skipped",
    ["source"],
    registry=REGISTRY,
)
BINANCE_WEIGHT_USED = Gauge(
    "cryptotracker_binance_request_weight_used",
    "Binance REST request weight used in the current minute, as far as this instance knows "
    "(its own count or Binance's X-MBX-USED-WEIGHT-1M, whichever is higher)",
    registry=REGISTRY,
)
BINANCE_REST_HELD = Counter(
    "cryptotracker_binance_rest_held_total",
    "Binance REST calls not sent, to stay inside its limits: the minute's weight budget spent "
    "(budget), waiting out a 429's Retry-After (limited) or a 418 ban (banned)",
    ["reason"],
    registry=REGISTRY,
)
BINANCE_REST_HOST_FAILOVERS = Counter(
    "cryptotracker_binance_rest_host_failovers_total",
    "Binance REST calls sent on to the next documented host: the one before could not be "
    "reached, timed out or answered 5xx",
    registry=REGISTRY,
)
BINANCE_CONNECTS_HELD = Counter(
    "cryptotracker_binance_connects_held_total",
    "Binance stream connection attempts held back: the address's budget of connection "
    "attempts per 5 minutes (shared by every instance through Redis) was spent",
    ["source"],
    registry=REGISTRY,
)
CIRCUIT_STATE = Gauge(
    "cryptotracker_circuit_state",
    "Circuit breaker state (0 closed, 1 half-open, 2 open)",
    ["name"],
    registry=REGISTRY,
)
CIRCUIT_TRANSITIONS = Counter(
    "cryptotracker_circuit_transitions_total",
    "Circuit breaker state changes",
    ["name", "to"],
    registry=REGISTRY,
)

ASSET_METADATA_PROBLEMS = Counter(
    "cryptotracker_asset_metadata_problems_total",
    "Bad data from the coin metadata source (CoinGecko), by reason (unknown: null or missing, "
    "bad_value, bad_row, not_a_list, http_429, http_error, logo_host, logo_too_large, ...) and "
    "field or endpoint",
    ["reason", "field"],
    registry=REGISTRY,
)
ASSET_METADATA_UPDATED = Gauge(
    "cryptotracker_asset_metadata_updated_timestamp_seconds",
    "When the coin metadata this instance serves was fetched (Unix seconds; 0 before the first)",
    registry=REGISTRY,
)
ASSET_METADATA_REFRESHES = Counter(
    "cryptotracker_asset_metadata_refreshes_total",
    "Coin metadata refreshes by this instance, by result (ok, failed)",
    ["result"],
    registry=REGISTRY,
)

# pipeline
BATCHES = Counter("cryptotracker_batches_total", "Batches flushed", registry=REGISTRY)
BATCH_SIZE = Histogram(
    "cryptotracker_batch_symbols",
    "Symbols per batch",
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
    registry=REGISTRY,
)
BATCH_LATENCY = Histogram(
    "cryptotracker_batch_latency_seconds",
    "Exchange event time to batch delivery start, per batch (oldest update)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
REDIS_OPS = Counter(
    "cryptotracker_redis_ops_total",
    "Redis operations",
    ["op", "result"],
    registry=REGISTRY,
)
REDIS_UP = Gauge("cryptotracker_redis_up", "1 while Redis answers", registry=REGISTRY)

# gateway
WS_CONNECTIONS = Gauge(
    "cryptotracker_ws_connections",
    "Connected Socket.IO clients",
    registry=REGISTRY,
)
MESSAGES_IN = Counter(
    "cryptotracker_messages_in_total",
    "Client events received",
    ["event"],
    registry=REGISTRY,
)
MESSAGES_OUT = Counter(
    "cryptotracker_messages_out_total",
    "Events sent to clients",
    ["event"],
    registry=REGISTRY,
)
CLIENT_ERRORS = Counter(
    "cryptotracker_client_errors_total",
    "Error events sent to clients",
    ["code"],
    registry=REGISTRY,
)
SLOW_CLIENT_DISCONNECTS = Counter(
    "cryptotracker_slow_client_disconnects_total",
    "Clients dropped for lagging too long",
    registry=REGISTRY,
)
ENGINE_REFUSED = Counter(
    "cryptotracker_engine_refused_total",
    "Engine.IO requests and packets refused, by reason",
    ["reason"],
    registry=REGISTRY,
)
HTTP_REFUSED = Counter(
    "cryptotracker_http_refused_total",
    "HTTP requests refused before the app saw them, by status (400, 408, 413, 414, 431)",
    ["status"],
    registry=REGISTRY,
)

# cluster
INGEST_ACTIVE = Gauge(
    "cryptotracker_ingest_active",
    "1 while this instance takes the exchange feed (lease holder, or alone while Redis is away)",
    registry=REGISTRY,
)
NEWEST_PRICE = Gauge(
    "cryptotracker_newest_price_timestamp_seconds",
    "Exchange time of the newest price this instance holds (Unix seconds; 0 before the first)",
    registry=REGISTRY,
)
