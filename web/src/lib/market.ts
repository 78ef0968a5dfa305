/**
 * The page's single market connection, wired to the stores. Components never talk to the socket:
 * they declare what they want live (`setSymbols`/`setCandles` per owner) and read the stores.
 */
import { MarketClient } from "./socket";
import { api } from "./api";
import { isPriceUpdate, isSymbol, type CandleData } from "../protocol";
import { useCryptoStore } from "../store/cryptoStore";
import { useVersionStore } from "../store/versionStore";

type CandleListener = (candle: CandleData) => void;
const candleListeners = new Set<CandleListener>();

let client: MarketClient | null = null;

export function marketClient(): MarketClient {
  if (!client) {
    const store = useCryptoStore.getState;
    client = new MarketClient({
      onPrices: (updates, serverTime) => store().applyUpdates(updates, serverTime),
      onCandle: (candle) => {
        for (const listener of candleListeners) listener(candle);
      },
      onFeedStatus: (status) => store().setFeed(status),
      onLink: (link) => store().setLink(link),
      onStats: (stats) => store().setStats(stats),
      onSubscriptions: (symbols) => store().setSubscribed(symbols),
      onServerError: (error) => {
        // The server has unsubscribed us from markets the exchange dropped: their rows leave.
        if (error.code === "delisted") store().delist((error.details ?? []).filter(isSymbol));
        // Unknown symbols or limits are not fatal: the rest keeps streaming.
        console.warn("server error", error.code, error.message, error.details ?? []);
      },
    });
  }
  return client;
}

/** Live candles reach charts directly (no store, no re-render). */
export function onCandle(listener: CandleListener): () => void {
  candleListeners.add(listener);
  return () => candleListeners.delete(listener);
}

/** The symbol list and a first price for every market, so the whole table can sort at once. */
export async function loadMarkets(signal?: AbortSignal): Promise<void> {
  const store = useCryptoStore.getState();
  try {
    const [symbols] = await Promise.all([api.symbols(signal), loadPrices(signal)]);
    const list = Array.isArray(symbols.symbols)
      ? symbols.symbols.filter((s) => isSymbol(s?.symbol))
      : [];
    // An empty list is a server still starting: keep "loading" (the caller retries).
    if (list.length > 0) store.setSymbols(list);
  } catch (err) {
    if (signal?.aborted) return;
    store.setLoadError(err instanceof Error ? err.message : String(err));
  }
}

/** Every market's latest price over HTTP: rows that are not subscribed (off screen) stay roughly
 * current this way, so sorting by change or volume ranks today's numbers, not the page load's. */
export async function loadPrices(signal?: AbortSignal): Promise<void> {
  const prices = await api.prices(signal);
  const store = useCryptoStore.getState();
  const good = Array.isArray(prices.prices) ? prices.prices.filter(isPriceUpdate) : [];
  store.applyUpdates(good, prices.timestamp);
  useVersionStore.getState().setServed(prices.build);
  if (prices.source && !store.feed) {
    store.setFeed({
      status: "connected",
      message: "",
      timestamp: prices.timestamp,
      source: prices.source,
      live: prices.live ?? false,
    });
  }
}
