"""Every knob of the tracker, its default and its CRYPTOTRACKER_* environment variable."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BINANCE_WS_URL = "wss://data-stream.binance.vision"
BINANCE_REST_URL = "https://data-api.binance.vision"
BINANCE_API = "https://api.binance.com"
BINANCE_API_GCP = "https://api-gcp.binance.com"
BINANCE_API_1_TO_4 = tuple(f"https://api{n}.binance.com" for n in range(1, 5))
COINGECKO_URL = "https://api.coingecko.com/api/v3"
COINBASE_WS_URL = "wss://ws-feed.exchange.coinbase.com"
COINBASE_REST_URL = "https://api.exchange.coinbase.com"
KRAKEN_WS_URL = "wss://ws.kraken.com/v2"
KRAKEN_REST_URL = "https://api.kraken.com"
# The fiat currencies Binance quotes spot markets in (besides EURUSDT, a fiat base): its
# exchangeInfo as of 2025. A quote Binance no longer lists costs nothing (no market matches).
BINANCE_FIAT_QUOTES = (
    "EUR", "TRY", "BRL", "ARS", "JPY", "MXN", "PLN", "RON", "UAH", "ZAR", "COP", "CZK"
)  # fmt: skip
DEFAULT_QUOTE_ASSETS = ("USDT", "USDC", "FDUSD", "BTC", "ETH", "BNB", *BINANCE_FIAT_QUOTES)
# Where prices come from, best first: the live exchanges, then the last resorts.
SourceName = Literal["binance", "coinbase", "kraken", "coingecko", "simulator"]
LAST_RESORTS: tuple[SourceName, ...] = ("coingecko", "simulator")
SOURCE_ORDER: tuple[SourceName, ...] = ("binance", "coinbase", "kraken", *LAST_RESORTS)


class Settings(BaseSettings):
    """Configuration read from flags (passed in by the CLI) and CRYPTOTRACKER_* variables."""

    model_config = SettingsConfigDict(env_prefix="CRYPTOTRACKER_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    # Redis, in one of three modes (at most one set; none: in-memory cache and in-process bus).
    # One server: redis://[:password@]host:port/db (rediss:// for TLS, unix:///path.sock).
    redis_url: str | None = None
    # Sentinel: the sentinels as host:port,host:port and the name they monitor the master by;
    # the clients follow the master through fail-overs.
    redis_sentinels: Annotated[list[str], NoDecode] = Field(default_factory=list)
    redis_sentinel_master: str = "mymaster"
    # Cluster: some of its nodes as host:port,host:port (the rest are discovered); batches go
    # over the cluster's sharded pub/sub.
    redis_cluster_nodes: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The password of the Sentinel-managed or Cluster servers (one server: in redis_url).
    redis_password: SecretStr | None = None

    binance_ws_url: str = BINANCE_WS_URL
    # Binance's other documented stream hosts (its WebSocket Streams page), tried in turn when
    # connecting to the one before fails (refused, timed out, 5xx; not an HTTP refusal such as
    # 429 or 451, which every host gives alike).
    binance_ws_fallback_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["wss://stream.binance.com:9443", "wss://stream.binance.com:443"]
    )
    binance_rest_url: str = BINANCE_REST_URL
    # Binance's other documented REST hosts (rest-api.md, "General API Information"), tried in
    # turn when one cannot be reached, times out or answers 5xx (not on 429, 418 or 451: the
    # limits and bans are the address's, on every host).
    binance_rest_fallback_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [BINANCE_API, BINANCE_API_GCP, *BINANCE_API_1_TO_4]
    )
    # Stream connection attempts per 5 minutes for this address (Binance allows 300 per IP),
    # shared by every instance through Redis when it is configured; spent, an instance waits.
    binance_connects_per_5min: int = Field(default=270, ge=1, le=300)
    coingecko_url: str = COINGECKO_URL
    coinbase_ws_url: str = COINBASE_WS_URL
    coinbase_rest_url: str = COINBASE_REST_URL
    # Coinbase's GET /products again this often: new markets, delistings, markets that stop.
    coinbase_products_refresh_s: float = Field(default=600.0, gt=0.0)
    kraken_ws_url: str = KRAKEN_WS_URL
    kraken_rest_url: str = KRAKEN_REST_URL
    # Kraken's public REST calls per second from this instance: Kraken limits public calls per
    # address and says about one a second stays within it.
    kraken_rest_calls_per_s: float = Field(default=1.0, gt=0.0)
    # Kraken's AssetPairs again this often: listings, delistings and pair statuses.
    kraken_asset_pairs_refresh_s: float = Field(default=600.0, gt=0.0)
    # REST request weight per minute this instance spends on Binance (Binance allows 6000 per
    # address; the rest is headroom for its counter's lag and for others on the address).
    binance_weight_per_min: int = Field(default=4800, ge=1, le=6000)
    # exchangeInfo (weight 20) again this often: listings, delistings, halts and resumptions.
    binance_exchange_info_refresh_s: float = Field(default=600.0, gt=0.0)
    # The tracker lists the markets of these quote assets (about 1,500 on Binance by default).
    quote_assets: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_QUOTE_ASSETS)
    )
    # GET /api/rates: a live market's rate older than this gives way to a fresher CoinGecko
    # figure; CoinGecko's /exchange_rates (BTC-based, refreshed there every 60 s to 5 min) is
    # read this often, for the currencies no live market covers.
    fx_market_max_age_s: float = Field(default=600.0, gt=0.0)
    fx_refresh_s: float = Field(default=300.0, ge=10.0)

    # "simulator" starts the built-in simulator and takes prices from it, labelled as such.
    exchange: Literal["binance", "simulator"] = "binance"
    # The source chain, best first: each market comes from the first live exchange here that
    # lists it and is healthy; CoinGecko (polled) and the simulator are the last resorts, after
    # the exchanges (leave one out to go without it).
    source_order: Annotated[list[SourceName], NoDecode] = Field(
        default_factory=lambda: list(SOURCE_ORDER)
    )
    # Last link of the source chain Binance -> CoinGecko -> simulator (off in production).
    simulator_fallback: bool = True
    # Coins the simulator lists, each against USDT and, by `quote_assets`, the other quotes:
    # 300 with the default quotes make about 1,400 markets.
    simulator_symbols: int = 300
    simulator_rate: float = 1000.0

    batch_interval_ms: int = Field(default=100, ge=10, le=5000)
    cache_ttl_s: int = Field(default=60, ge=1)
    # Origins of pages served elsewhere (a proxy, a dev server); the server's own origin is
    # always allowed (see `allowed_origins`).
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Exchange connection policy (backend issue: backoff, breaker, watchdog).
    backoff_base_ms: int = 1000
    backoff_max_ms: int = 30000
    backoff_max_attempts: int = 10
    breaker_failure_threshold: int = 5
    breaker_reset_s: float = 60.0
    feed_silence_s: float = 30.0
    # Binance cuts connections at 24 h; reconnect a little before that.
    connection_max_age_s: float = 23.5 * 3600
    coingecko_poll_s: float = 30.0
    # Multiplicative jitter on every backoff delay: delay * (1 + U[0, jitter)).
    backoff_jitter: float = Field(default=0.1, ge=0.0, le=1.0)
    # Binance allows 5 incoming messages/s per connection, pongs included: requests get 3/s.
    ws_requests_per_s: float = Field(default=3.0, gt=0.0, le=4.0)
    ws_streams_per_connection: int = Field(default=1024, ge=2, le=1024)
    ws_params_per_request: int = Field(default=200, ge=1)
    # A SUBSCRIBE/UNSUBSCRIBE unanswered this long is sent again; `attempts` sends in all, then
    # the streams wait for the next LIST_SUBSCRIPTIONS check (every `list_subscriptions_s`).
    ws_reply_timeout_s: float = Field(default=10.0, gt=0.0)
    ws_request_attempts: int = Field(default=3, ge=1)
    ws_list_subscriptions_s: float = Field(default=300.0, gt=0.0)
    # Our own keepalive pings (Binance pings us every 20 s; websockets answers those itself).
    ws_ping_interval_s: float = 20.0
    ws_ping_timeout_s: float = 20.0
    ws_open_timeout_s: float = 10.0
    rest_timeout_s: float = 10.0
    # Outgoing proxy for the exchanges, WebSocket and REST alike (http://host:port; CONNECT for
    # TLS and WebSocket). Unset: the standard HTTPS_PROXY / HTTP_PROXY / NO_PROXY of the
    # environment, honoured by both clients.
    exchange_proxy: str | None = None
    # CoinGecko free tier: ~30 calls/min; stay under it whatever the poll interval.
    coingecko_calls_per_min: float = Field(default=25.0, gt=0.0)
    # Consecutive CoinGecko failures before the simulator (if enabled) takes over.
    coingecko_failure_threshold: int = Field(default=3, ge=1)

    # Coin metadata (names, logos, market caps, sparklines: GET /api/assets) from CoinGecko,
    # fetched by the ingesting instance and shared through Redis. Off: /api/assets is empty.
    asset_metadata: bool = True
    # A CoinGecko demo API key (sent as x-cg-demo-api-key); unset: the keyless public API.
    coingecko_demo_key: SecretStr | None = None
    asset_metadata_refresh_s: float = Field(default=600.0, ge=10.0)
    # /coins/list (the ticker -> id candidates, a large answer CoinGecko updates every 30 min).
    asset_list_refresh_s: float = Field(default=86_400.0, ge=60.0)
    # Pages of 250 coins by market cap read each refresh; tracked coins below them are asked
    # for by id, in at most `asset_metadata_extra_calls` calls of 100 ids.
    asset_metadata_pages: int = Field(default=2, ge=1, le=20)
    asset_metadata_extra_calls: int = Field(default=2, ge=0, le=20)
    # Instances that do not fetch look for a newer list in Redis this often.
    asset_follow_s: float = Field(default=5.0, gt=0.0)
    # Prices per 7-day sparkline (CoinGecko sends 168 hourly ones). The page draws it at most
    # 112 px wide, so 48 (one per ~2 px) look the same as 84 and cost /api/assets less.
    asset_sparkline_points: int = Field(default=48, ge=2, le=168)
    # Logos: the disk cache, the largest image fetched, the served size (PNG, square).
    logo_dir: str = ".cache/logos"
    logo_max_bytes: int = Field(default=256 * 1024, ge=1024, le=4 * 1024 * 1024)
    logo_size_px: int = Field(default=64, ge=16, le=256)
    # Hosts logos are fetched from (besides the metadata source's own): CoinGecko's image hosts.
    logo_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["coin-images.coingecko.com", "assets.coingecko.com"]
    )

    # Which instance takes the exchange feed: "auto" = the holder of a Redis lease (every
    # instance while Redis is away; always without Redis), "always", or "never" (consume only).
    ingest: Literal["auto", "always", "never"] = "auto"
    lease_ttl_s: float = 5.0

    # Gateway limits. Per connection: symbols, message size, message rate (token bucket).
    max_symbols_per_client: int = 200
    max_message_bytes: int = 16384
    client_messages_per_s: float = Field(default=20.0, gt=0.0)
    client_message_burst: int = Field(default=60, ge=1)
    # A connection over its rate this many messages in a row is disconnected.
    flood_disconnect_after: int = Field(default=50, ge=1)
    # Per client address (behind a proxy: from X-Forwarded-For, see forwarded_allow_ips);
    # 0 turns a limit off. Addresses in limit_exempt_ips (this machine: benchmarks, probes)
    # skip the per-address limits, never the per-connection ones.
    max_connections_per_ip: int = Field(default=200, ge=0)
    max_symbols_per_ip: int = Field(default=5000, ge=0)
    ip_messages_per_s: float = Field(default=200.0, ge=0.0)
    ip_message_burst: int = Field(default=600, ge=1)
    limit_exempt_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"]
    )
    # Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated; * for
    # any): nginx.
    forwarded_allow_ips: str = "127.0.0.1"
    # The balancer's name for this instance (letters, digits): the first part of every
    # Engine.IO session id ("<route>.<random>"), so a balancer routes a session's polling and
    # upgrade requests to its owner without cookies (deploy/nginx.conf.template). Empty: no
    # prefix (a single instance).
    instance_route: str = Field(default="", pattern=r"^[A-Za-z0-9]{0,16}$")
    # A session that has not joined the Socket.IO namespace this long after its handshake is
    # closed (socket.io's connectTimeout).
    connect_timeout_s: float = Field(default=10.0, gt=0.0)
    # An HTTP request whose headers are not complete this long after it began gets 408; an idle
    # keep-alive connection is closed after http_keepalive_s.
    http_header_timeout_s: float = Field(default=10.0, gt=0.0)
    http_keepalive_s: float = Field(default=75.0, gt=0.0)
    heartbeat_s: float = 30.0
    heartbeat_timeout_s: float = 20.0
    slow_client_max_lag_s: float = 10.0
    # Objects of connections opened since the last check are frozen out of the GC's full
    # collections this often (gateway/gcpolicy.py); 0 = Python's own GC only.
    gc_freeze_interval_s: float = Field(default=1.0, ge=0.0)
    candle_cache_s: float = 5.0
    # GET /api/prices is encoded (and gzipped) at most this often and served to every request
    # meanwhile (a page polls it every 30 s); a delisting rebuilds it at once. 0: every request.
    prices_cache_s: float = Field(default=1.0, ge=0.0)
    # (symbol, interval) pairs kept in the candle cache (1000 rows, about 0.8 MB, each); the
    # least recently used goes first.
    candle_cache_entries: int = Field(default=64, ge=1)
    # Upstream klines calls of all clients together (Binance allows 6000 weight/min, klines
    # weigh 2 to 5; decoding 1000 rows takes 7-18 ms of the event loop): over it an expired
    # entry is served, else 503.
    candle_upstream_per_s: float = Field(default=5.0, gt=0.0)
    candle_upstream_burst: int = Field(default=20, ge=1)
    # GET /api/compare/{symbol}: each exchange's answer is awaited this long, the comparison
    # kept this long, and new comparisons (one REST call or two per exchange) paced like this.
    compare_timeout_s: float = Field(default=3.0, gt=0.0)
    compare_cache_s: float = Field(default=5.0, ge=0.0)
    compare_upstream_per_s: float = Field(default=2.0, gt=0.0)
    compare_upstream_burst: int = Field(default=10, ge=1)
    # Candle streams per connection; the per-address limit (max_symbols_per_ip) counts symbols
    # and candle streams together.
    max_candles_per_client: int = Field(default=20, ge=0)

    # HTTP API, per client address (token buckets; limit_exempt_ips skip them; rate 0 = off).
    # A page posts telemetry every 30 s and on hide; it asks for candles when a chart opens.
    telemetry_per_s: float = Field(default=0.5, ge=0.0)
    telemetry_burst: int = Field(default=10, ge=1)
    telemetry_max_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)
    candles_per_s: float = Field(default=5.0, ge=0.0)
    candles_burst: int = Field(default=30, ge=1)
    # /docs, /redoc and /openapi.json (off in production: deploy/production.env).
    serve_docs: bool = True
    # Addresses or networks that may read /metrics (Prometheus); others get 403.
    metrics_allow: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"]
    )

    # Where the built web app lives (served at /).
    web_dist: str = "web/dist"

    # Graceful stop (SIGTERM): clients are told and closed, then tasks cancelled within this.
    shutdown_timeout_s: float = Field(default=5.0, gt=0.0)

    # Optional error tracking: unset = off. Never logged, never sent in events.
    sentry_dsn: SecretStr | None = None
    sentry_environment: str = "development"

    @field_validator(
        "cors_origins", "quote_assets", "limit_exempt_ips", "metrics_allow",
        "redis_sentinels", "redis_cluster_nodes", "binance_ws_fallback_urls",
        "binance_rest_fallback_urls", "logo_hosts", "source_order", mode="before",
    )  # fmt: skip
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value:
            from redis.asyncio.connection import parse_url

            from cryptotracker.sentry import redact

            try:
                parse_url(value)
            except ValueError as exc:
                raise ValueError(f"{redact(value)!r} is not a Redis URL: {exc}") from None
        return value

    @field_validator("source_order")
    @classmethod
    def _source_order(cls, value: list[SourceName]) -> list[SourceName]:
        if len(set(value)) != len(value):
            raise ValueError(f"{','.join(value)}: a source is named twice")
        if not any(name not in LAST_RESORTS for name in value):
            raise ValueError("name at least one live exchange (binance, coinbase, kraken)")
        resorts = [name for name in value if name in LAST_RESORTS]
        if value[len(value) - len(resorts) :] != resorts or resorts != sorted(resorts):
            raise ValueError("coingecko and then simulator come after the live exchanges")
        return value

    @field_validator("redis_sentinels", "redis_cluster_nodes")
    @classmethod
    def _host_ports(cls, value: list[str]) -> list[str]:
        for item in value:
            _host_port(item)
        return value

    @model_validator(mode="after")
    def _one_redis_mode(self) -> Settings:
        chosen = [
            name
            for name, value in (
                ("CRYPTOTRACKER_REDIS_URL", self.redis_url),
                ("CRYPTOTRACKER_REDIS_SENTINELS", self.redis_sentinels),
                ("CRYPTOTRACKER_REDIS_CLUSTER_NODES", self.redis_cluster_nodes),
            )
            if value
        ]
        if len(chosen) > 1:
            raise ValueError(f"set one Redis mode, not {' and '.join(chosen)}")
        return self

    @property
    def redis_sentinel_endpoints(self) -> list[tuple[str, int]]:
        return [_host_port(item) for item in self.redis_sentinels]

    @property
    def redis_cluster_endpoints(self) -> list[tuple[str, int]]:
        return [_host_port(item) for item in self.redis_cluster_nodes]

    @property
    def allowed_origins(self) -> list[str]:
        """`cors_origins` plus the origin of the page this server serves itself, so
        `serve --port 9000` can open its own socket without configuration."""
        hosts = {self.host}
        if self.host in ("127.0.0.1", "localhost", "0.0.0.0", "::"):
            hosts |= {"127.0.0.1", "localhost"}
        own = [f"http://{h}:{self.port}" for h in sorted(hosts) if h not in ("0.0.0.0", "::")]
        return list(dict.fromkeys([*self.cors_origins, *own]))

    @property
    def batch_interval_s(self) -> float:
        return self.batch_interval_ms / 1000.0


def _host_port(item: str) -> tuple[str, int]:
    """`host:port` (`[v6]:port` too) as a pair; ValueError naming the item otherwise."""
    host, sep, port = item.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{item!r} is not host:port")
    return host, int(port)
