/** The backend's HTTP API (same origin). */
import type { CandleInterval, CandleList, PriceList, SymbolList } from "../protocol";

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { signal, headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export const api = {
  symbols: (signal?: AbortSignal) => getJson<SymbolList>("/api/symbols", signal),
  prices: (signal?: AbortSignal) => getJson<PriceList>("/api/prices", signal),
  candles: (symbol: string, interval: CandleInterval, limit = 500, signal?: AbortSignal) =>
    getJson<CandleList>(
      `/api/candles/${encodeURIComponent(symbol)}?interval=${interval}&limit=${limit}`,
      signal,
    ),
};
