/** Wire types (generated from the Python models) and the checks that guard the hot path. */
export type {
  Ack,
  BatchUpdate,
  CandleData,
  CandleList,
  CandleSubscription,
  ConnectionState,
  ConnectionStatus,
  Envelope,
  ErrorData,
  ExchangeComparison,
  ExchangeQuote,
  Health,
  PriceList,
  PriceUpdate,
  ServerEvent,
  Source,
  SubscribeRequest,
  SymbolInfo,
  SymbolList,
  TelemetryBatch,
} from "./generated";
export { SERVER_EVENTS } from "./generated";

import type {
  BatchUpdate,
  CandleData,
  ConnectionStatus,
  ErrorData,
  PriceUpdate,
  Source,
  CandleSubscription,
} from "./generated";

export type CandleInterval = CandleSubscription["interval"];
export const CANDLE_INTERVALS: readonly CandleInterval[] = ["1m", "5m", "15m", "1h", "4h", "1d"];
export const SOURCES: readonly Source[] = [
  "binance",
  "coinbase",
  "kraken",
  "coingecko",
  "simulator",
];
/** The live exchanges (the others are a delayed aggregate or simulated). */
export const LIVE_SOURCES: readonly Source[] = ["binance", "coinbase", "kraken"];

const DECIMAL_RE = /^-?\d+(\.\d+)?$/;
const SYMBOL_RE = /^[A-Z0-9]{2,20}$/;

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isDecimal(v: unknown): v is string {
  return typeof v === "string" && DECIMAL_RE.test(v);
}

export function isSymbol(v: unknown): v is string {
  return typeof v === "string" && SYMBOL_RE.test(v);
}

function isMillis(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

function isSource(v: unknown): v is Source {
  return typeof v === "string" && (SOURCES as readonly string[]).includes(v);
}

export function isPriceUpdate(v: unknown): v is PriceUpdate {
  return (
    isObject(v) &&
    isSymbol(v.symbol) &&
    isDecimal(v.price) &&
    isDecimal(v.priceChangePercent) &&
    isDecimal(v.high24h) &&
    isDecimal(v.low24h) &&
    isDecimal(v.volume24h) &&
    isMillis(v.lastUpdateTime) &&
    isSource(v.source)
  );
}

export function isBatchUpdate(v: unknown): v is BatchUpdate {
  return isObject(v) && Array.isArray(v.updates) && isMillis(v.timestamp);
}

export function isCandleData(v: unknown): v is CandleData {
  return (
    isObject(v) &&
    isSymbol(v.symbol) &&
    typeof v.interval === "string" &&
    (CANDLE_INTERVALS as readonly string[]).includes(v.interval) &&
    isMillis(v.openTime) &&
    isMillis(v.closeTime) &&
    isDecimal(v.open) &&
    isDecimal(v.high) &&
    isDecimal(v.low) &&
    isDecimal(v.close) &&
    isDecimal(v.volume) &&
    typeof v.closed === "boolean"
  );
}

export function isConnectionStatus(v: unknown): v is ConnectionStatus {
  return (
    isObject(v) &&
    (v.status === "connected" || v.status === "degraded" || v.status === "disconnected") &&
    typeof v.message === "string" &&
    (v.source === undefined || v.source === null || isSource(v.source)) &&
    (v.live === undefined || typeof v.live === "boolean")
  );
}

export function isErrorData(v: unknown): v is ErrorData {
  return isObject(v) && typeof v.code === "string" && typeof v.message === "string";
}

/** An envelope's outer shape: `{event, data, timestamp, requestId?}`. */
export interface RawEnvelope {
  event: string;
  data: unknown;
  timestamp: number;
  requestId?: string | null;
}

export function isEnvelope(v: unknown): v is RawEnvelope {
  return isObject(v) && typeof v.event === "string" && "data" in v && isMillis(v.timestamp);
}
