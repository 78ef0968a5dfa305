/** The backend's HTTP API (same origin). */
import type {
  CandleInterval,
  CandleList,
  ExchangeComparison,
  PriceList,
  SymbolList,
} from "../protocol";
import type { AssetList, FxRates } from "../protocol/generated";
import { backoffDelay } from "./backoff";

export class HttpError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    /** The server's Retry-After, in ms (seconds form only); null without one. */
    readonly retryAfterMs: number | null,
  ) {
    super(`${path}: HTTP ${status}`);
  }
}

function retryAfterMs(header: string | null): number | null {
  const s = header === null ? NaN : Number(header);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : null;
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal, headers: { Accept: "application/json" } });
  if (!res.ok) throw new HttpError(path, res.status, retryAfterMs(res.headers.get("Retry-After")));
  return (await res.json()) as T;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

const UNAVAILABLE_RETRY = { baseMs: 1000, maxMs: 5000, jitter: 0.2 };

/** A 503 is "not yet" (a server just started has no candles to serve): wait as long as it asks,
 * at least the backoff, and ask again, a bounded number of times. */
export async function retryUnavailable<T>(
  load: () => Promise<T>,
  signal?: AbortSignal,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await load();
    } catch (err) {
      if (!(err instanceof HttpError) || err.status !== 503 || attempt >= attempts) throw err;
      const wait = Math.max(err.retryAfterMs ?? 0, backoffDelay(attempt, UNAVAILABLE_RETRY));
      await sleep(wait, signal);
    }
  }
}

export const api = {
  symbols: (signal?: AbortSignal) => getJson<SymbolList>("/api/symbols", signal),
  prices: (signal?: AbortSignal) => getJson<PriceList>("/api/prices", signal),
  // Revalidated with the server's ETag by the browser's HTTP cache (a 304 costs no body).
  assets: (signal?: AbortSignal) => getJson<AssetList>("/api/assets", signal),
  rates: (signal?: AbortSignal) => getJson<FxRates>("/api/rates", signal),
  compare: (symbol: string, signal?: AbortSignal) =>
    getJson<ExchangeComparison>(`/api/compare/${encodeURIComponent(symbol)}`, signal),
  candles: (symbol: string, interval: CandleInterval, limit = 500, signal?: AbortSignal) =>
    retryUnavailable(
      () =>
        getJson<CandleList>(
          `/api/candles/${encodeURIComponent(symbol)}?interval=${interval}&limit=${limit}`,
          signal,
        ),
      signal,
    ),
};
