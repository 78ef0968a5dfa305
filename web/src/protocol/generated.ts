/* eslint-disable */
/**
 * GENERATED from docs/protocol.schema.json by `npm run gen:protocol`: do not edit by hand.
 * The Python models in src/cryptotracker/protocol.py are the source of truth.
 */

/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "ErrorCode".
 */
export type ErrorCode =
  | "invalid_payload"
  | "unknown_symbol"
  | "too_many_symbols"
  | "payload_too_large"
  | "rate_limited"
  | "unknown_event"
  | "slow_consumer"
  | "delisted"
  | "internal";
/**
 * Where a price came from: a live exchange (`LIVE_SOURCES`), CoinGecko's aggregate (polled,
 * not live) or the built-in simulator (never real).
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "Source".
 */
export type Source = "binance" | "coinbase" | "kraken" | "coingecko" | "simulator";
/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "CandleIntervalValues".
 */
export type CandleIntervalValues = "1m" | "5m" | "15m" | "1h" | "4h" | "1d";
/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "ClientEvent".
 */
export type ClientEvent = "subscribe" | "unsubscribe" | "ping";
/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "ConnectionState".
 */
export type ConnectionState = "connected" | "degraded" | "disconnected";
/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "ServerEvent".
 */
export type ServerEvent = "batch_update" | "connection_status" | "candle_update" | "error" | "pong";

export interface CryptoTrackerProtocol {
  Ack?: Ack;
  AssetInfo?: AssetInfo;
  AssetList?: AssetList;
  BatchUpdate?: BatchUpdate;
  CandleData?: CandleData;
  CandleIntervalValues?: CandleIntervalValues;
  CandleList?: CandleList;
  CandleSubscription?: CandleSubscription;
  ClientEvent?: ClientEvent;
  ComponentHealth?: ComponentHealth;
  ConnectionState?: ConnectionState;
  ConnectionStatus?: ConnectionStatus;
  Envelope?: Envelope;
  ErrorCode?: ErrorCode;
  ErrorData?: ErrorData;
  ExchangeComparison?: ExchangeComparison;
  ExchangeQuote?: ExchangeQuote;
  FeedHealth?: FeedHealth;
  FxRate?: FxRate;
  FxRates?: FxRates;
  Health?: Health;
  LeaseHealth?: LeaseHealth;
  PingRequest?: PingRequest;
  Pong?: Pong;
  PriceList?: PriceList;
  PriceUpdate?: PriceUpdate;
  Readiness?: Readiness;
  ServerEvent?: ServerEvent;
  Source?: Source;
  SubscribeRequest?: SubscribeRequest;
  SymbolInfo?: SymbolInfo;
  SymbolList?: SymbolList;
  TelemetryBatch?: TelemetryBatch;
}
/**
 * Socket.IO acknowledgement of every client event: what the request changed, and how many
 * subscriptions the connection holds after it. A client that applies every ack's changes holds
 * what the server holds; counts that differ from its own mean it missed one (it can
 * `unsubscribe` with `all` and subscribe again).
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "Ack".
 */
export interface Ack {
  /**
   * Symbols it subscribed.
   */
  added?: string[];
  addedCandles?: CandleSubscription[];
  /**
   * Candle streams it holds after it.
   */
  candleCount?: number;
  error?: ErrorData | null;
  ok: boolean;
  /**
   * Symbols it unsubscribed.
   */
  removed?: string[];
  removedCandles?: CandleSubscription[];
  requestId?: string | null;
  /**
   * Symbols the connection holds after it.
   */
  symbolCount?: number;
}
/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "CandleSubscription".
 */
export interface CandleSubscription {
  interval: "1m" | "5m" | "15m" | "1h" | "4h" | "1d";
  symbol: string;
}
/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "ErrorData".
 */
export interface ErrorData {
  code: ErrorCode;
  details?: string[];
  message: string;
}
/**
 * One coin as trackers show it (`GET /api/assets`), keyed by `asset`, the base-asset
 * ticker the markets use (BTC of BTCUSDT). Every figure may be unknown (null): the row shows
 * what is known. Figures are in USD, as the metadata source states them.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "AssetInfo".
 */
export interface AssetInfo {
  /**
   * The ticker the markets use, e.g. BTC.
   */
  asset: string;
  change1h?: string | null;
  change30d?: string | null;
  change7d?: string | null;
  circulatingSupply?: string | null;
  /**
   * The metadata source's id, e.g. bitcoin.
   */
  id?: string | null;
  /**
   * Our own URL of the logo (same origin), e.g. /api/logos/bitcoin.
   */
  logo?: string | null;
  marketCap?: string | null;
  maxSupply?: string | null;
  name?: string | null;
  /**
   * Rank by market capitalisation.
   */
  rank?: number | null;
  /**
   * Hourly prices over 7 days, oldest first, in USD: for drawing only.
   */
  sparkline7d?: number[];
}
/**
 * `GET /api/assets` (with an ETag): every known coin's metadata.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "AssetList".
 */
export interface AssetList {
  assets: AssetInfo[];
  source?: Source | null;
  /**
   * When the metadata was last refreshed.
   */
  updatedAt: number | null;
}
/**
 * Every changed subscribed symbol of one batch interval; `snapshot` marks the reply to a
 * subscribe (current values, sent before the next batch).
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "BatchUpdate".
 */
export interface BatchUpdate {
  snapshot?: boolean;
  timestamp: number;
  updates: PriceUpdate[];
}
/**
 * The latest state of one market. 24h figures are rolling-window statistics.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "PriceUpdate".
 */
export interface PriceUpdate {
  high24h: string;
  /**
   * Exchange event time of this state (ms).
   */
  lastUpdateTime: number;
  low24h: string;
  price: string;
  priceChangePercent: string;
  source: Source;
  symbol: string;
  /**
   * 24h traded volume in the quote asset (USDT for BTCUSDT), as the exchange's quote volume.
   */
  volume24h: string;
}
/**
 * One OHLCV candle; `closed` is false while the candle is still forming.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "CandleData".
 */
export interface CandleData {
  close: string;
  closeTime: number;
  closed: boolean;
  high: string;
  interval: "1m" | "5m" | "15m" | "1h" | "4h" | "1d";
  low: string;
  open: string;
  openTime: number;
  source: Source;
  symbol: string;
  volume: string;
}
/**
 * `GET /api/candles/{symbol}`: oldest first; the last one may still be forming.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "CandleList".
 */
export interface CandleList {
  candles: CandleData[];
  interval: "1m" | "5m" | "15m" | "1h" | "4h" | "1d";
  symbol: string;
}
/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "ComponentHealth".
 */
export interface ComponentHealth {
  detail?: string;
  status: "ok" | "degraded" | "down";
}
/**
 * Feed health as the server sees it. `live` is false while prices do not come from a live
 * exchange (fallback or simulator): clients must say so.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "ConnectionStatus".
 */
export interface ConnectionStatus {
  /**
   * Listed markets that do not trade now: symbol -> the exchange's status (BREAK, HALT, ...). Their last price is not live.
   */
  halted?: {
    /**
     * This interface was referenced by `undefined`'s JSON-Schema definition
     * via the `patternProperty` "^[A-Z0-9]{2,20}$".
     */
    [k: string]: string;
  };
  live?: boolean;
  message: string;
  /**
   * Binance refuses this server's location (HTTP 451): prices come from `source`, a fallback, until that changes.
   */
  restricted?: boolean;
  retryAt?: number | null;
  source?: Source | null;
  status: ConnectionState;
  timestamp: number;
}
/**
 * What every server -> client event carries.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "Envelope".
 */
export interface Envelope {
  data: PriceUpdate | BatchUpdate | ConnectionStatus | CandleData | ErrorData | Pong;
  event: ServerEvent;
  requestId?: string | null;
  timestamp: number;
}
/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "Pong".
 */
export interface Pong {
  timestamp: number;
}
/**
 * `GET /api/compare/{symbol}`: the market on each configured live exchange, best first
 * (the order prices are taken in).
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "ExchangeComparison".
 */
export interface ExchangeComparison {
  /**
   * When the exchanges were asked (answers are cached).
   */
  asOf: number;
  quotes: ExchangeQuote[];
  symbol: string;
  timestamp: number;
}
/**
 * One exchange's market now: top of book, spread and last trade, as its REST said at
 * the comparison's `asOf`; or why it said nothing (`error`: unreachable, refused, not
 * listed there). Decimal strings.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "ExchangeQuote".
 */
export interface ExchangeQuote {
  ask?: string | null;
  bid?: string | null;
  error?: string | null;
  /**
   * The last trade's price.
   */
  last?: string | null;
  /**
   * How old the last trade is at `timestamp`.
   */
  lastTradeAgeMs?: number | null;
  lastTradeTime?: number | null;
  /**
   * This exchange's prices are the ones shown now.
   */
  serving: boolean;
  source: Source;
  /**
   * ask - bid.
   */
  spread?: string | null;
  /**
   * (ask - bid) / mid price * 100, six decimal places.
   */
  spreadPercent?: string | null;
}
/**
 * The feed. `detail` ends with the countdown to the next attempt while one is planned;
 * `retry_at` is that deadline and `retry_in_s` the seconds left, both as of this request.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "FeedHealth".
 */
export interface FeedHealth {
  detail?: string;
  retryAt?: number | null;
  retryInS?: number | null;
  status: "ok" | "degraded" | "down";
}
/**
 * How many units of `currency` one USDT buys, with where that figure came from.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "FxRate".
 */
export interface FxRate {
  /**
   * When the figure behind the rate was current.
   */
  asOf: number;
  /**
   * e.g. EUR
   */
  currency: string;
  rate: string;
  /**
   * e.g. "binance:EURUSDT" (a live market) or "coingecko".
   */
  source: string;
}
/**
 * `GET /api/rates`: the currencies prices can be shown in, converted from USDT.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "FxRates".
 */
export interface FxRates {
  base?: "USDT";
  rates: FxRate[];
  timestamp: number;
}
/**
 * `GET /health`: 200 while the server can serve prices, 503 when it cannot. Names the
 * instance answering, whether it ingests, the lease, Redis's latency, and the feed.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "Health".
 */
export interface Health {
  circuit: "closed" | "open" | "half_open";
  connections: number;
  feed: FeedHealth;
  ingesting: boolean;
  instance: string;
  lastUpdateAgeS: number | null;
  lease: LeaseHealth | null;
  live: boolean;
  redis: ComponentHealth;
  redisLatencyMs: number | null;
  source: Source | null;
  status: "ok" | "degraded" | "down";
  symbols: number;
  timestamp: number;
}
/**
 * The ingest lease (`ingest:leader` in Redis): whether this instance holds it, and who
 * does as Redis says now (null: nobody, or Redis did not answer).
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "LeaseHealth".
 */
export interface LeaseHealth {
  held: boolean;
  holder: string | null;
}
/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "PingRequest".
 */
export interface PingRequest {
  requestId?: string | null;
}
/**
 * `GET /api/prices`: every known market's latest state.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "PriceList".
 */
export interface PriceList {
  /**
   * The served web app's build id (its index.html `build-id` meta tag); a page built otherwise offers a reload. Null when no web app is served.
   */
  build?: string | null;
  live?: boolean;
  prices: PriceUpdate[];
  source?: Source | null;
  timestamp: number;
}
/**
 * `GET /health/ready`: 200 when this instance should get traffic (listening, not shutting
 * down, and with fresh prices or still within its start-up grace period), 503 otherwise.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "Readiness".
 */
export interface Readiness {
  instance: string;
  ready: boolean;
  reason: string;
}
/**
 * Payload of `subscribe` and `unsubscribe`. Symbols are upper case, e.g. BTCUSDT.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "SubscribeRequest".
 */
export interface SubscribeRequest {
  /**
   * `unsubscribe` only: drop every symbol and candle stream the connection holds.
   */
  all?: boolean;
  /**
   * @maxItems 20
   */
  candles?: CandleSubscription[];
  requestId?: string | null;
  /**
   * @maxItems 1000
   */
  symbols?: string[];
}
/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "SymbolInfo".
 */
export interface SymbolInfo {
  baseAsset: string;
  quoteAsset: string;
  symbol: string;
}
/**
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "SymbolList".
 */
export interface SymbolList {
  symbols: SymbolInfo[];
}
/**
 * `POST /api/telemetry`: client-side measurements, sent in small batches.
 *
 * This interface was referenced by `CryptoTrackerProtocol`'s JSON-Schema
 * via the `definition` "TelemetryBatch".
 */
export interface TelemetryBatch {
  /**
   * @maxItems 120
   */
  fpsSamples?: number[];
  /**
   * @maxItems 120
   */
  heapUsedBytes?: number[];
  loadTimeMs?: number | null;
  reconnects?: number;
  timeToInteractiveMs?: number | null;
  webVitals?: {
    [k: string]: number;
  };
}

/** Every event the server sends, for checks at run time. */
export const SERVER_EVENTS: readonly ServerEvent[] = [
  "batch_update",
  "connection_status",
  "candle_update",
  "error",
  "pong",
];
