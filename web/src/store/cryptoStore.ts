/** Market data of the page: known symbols, latest prices, link and feed status. Prices stream in
 * from the socket; components select one symbol each so a tick re-renders only its own row. */
import { create } from "zustand";
import type { ConnectionStatus, PriceUpdate, SymbolInfo } from "../protocol";
import type { LinkStatus, MessageStats } from "../lib/socket";

export interface PriceEntry extends PriceUpdate {
  /** Local time this state arrived (ms). */
  receivedAt: number;
  /** The price before this one, for the flash direction. */
  prev: string | null;
}

export interface CryptoState {
  symbols: SymbolInfo[];
  symbolsLoaded: boolean;
  loadError: string | null;
  prices: Record<string, PriceEntry>;
  link: LinkStatus;
  feed: ConnectionStatus | null;
  /** Local time of the last price message. */
  lastMessageAt: number | null;
  /** Server clock minus local clock, from envelope timestamps: ages use the exchange's clock. */
  clockOffsetMs: number;
  stats: MessageStats;
  /** Symbols the server confirmed for this page's connection. */
  subscribed: string[];
  setSymbols(symbols: SymbolInfo[]): void;
  setLoadError(message: string | null): void;
  applyUpdates(updates: readonly PriceUpdate[], serverTime: number, now?: number): void;
  setLink(link: LinkStatus): void;
  setFeed(feed: ConnectionStatus): void;
  setStats(stats: MessageStats): void;
  setSubscribed(symbols: string[]): void;
  /** Markets the exchange no longer lists (the server's `delisted` error): their rows leave. */
  delist(symbols: readonly string[]): void;
  /** The last session's markets and prices (offline start): only into an empty store, never
   * over anything the server sent; `lastMessageAt` is when they were saved, so they age. */
  restore(symbols: SymbolInfo[], prices: readonly PriceUpdate[], savedAt: number): boolean;
}

export const initialLink: LinkStatus = {
  state: "connecting",
  attempt: 0,
  nextRetryAt: null,
  downSince: null,
  reconnects: 0,
  rttMs: null,
  reason: null,
};

export const useCryptoStore = create<CryptoState>()((set) => ({
  symbols: [],
  symbolsLoaded: false,
  loadError: null,
  prices: {},
  link: initialLink,
  feed: null,
  lastMessageAt: null,
  clockOffsetMs: 0,
  stats: { received: 0, malformed: 0, unknown: 0 },
  subscribed: [],

  setSymbols: (symbols) => set({ symbols, symbolsLoaded: true, loadError: null }),
  setLoadError: (loadError) => set({ loadError }),

  applyUpdates: (updates, serverTime, now = Date.now()) =>
    set((state) => {
      let prices: Record<string, PriceEntry> | null = null;
      for (const u of updates) {
        const current = (prices ?? state.prices)[u.symbol];
        // Never step back in time (an HTTP snapshot racing a live batch).
        if (current && current.lastUpdateTime > u.lastUpdateTime) continue;
        if (
          current &&
          current.lastUpdateTime === u.lastUpdateTime &&
          current.price === u.price &&
          current.source === u.source
        ) {
          continue;
        }
        prices ??= { ...state.prices };
        prices[u.symbol] = {
          ...u,
          receivedAt: now,
          prev: current && current.price !== u.price ? current.price : (current?.prev ?? null),
        };
      }
      return {
        ...(prices ? { prices } : {}),
        // An empty answer is no news: "last update" keeps its age.
        lastMessageAt: updates.length > 0 ? now : state.lastMessageAt,
        clockOffsetMs: serverTime > 0 ? serverTime - now : state.clockOffsetMs,
      };
    }),

  setLink: (link) => set({ link }),
  setFeed: (feed) => set({ feed }),
  setStats: (stats) => set({ stats }),
  setSubscribed: (subscribed) => set({ subscribed }),
  delist: (gone) =>
    set((state) => {
      const drop = new Set(gone);
      if (!state.symbols.some((s) => drop.has(s.symbol))) return {};
      const prices = { ...state.prices };
      for (const symbol of drop) delete prices[symbol];
      return { symbols: state.symbols.filter((s) => !drop.has(s.symbol)), prices };
    }),

  restore: (symbols, saved, savedAt) => {
    const state = useCryptoStore.getState();
    if (state.symbols.length > 0 || Object.keys(state.prices).length > 0) return false;
    if (symbols.length === 0) return false;
    const prices: Record<string, PriceEntry> = {};
    for (const p of saved) prices[p.symbol] = { ...p, receivedAt: savedAt, prev: null };
    set({ symbols, symbolsLoaded: true, prices, lastMessageAt: savedAt });
    return true;
  },
}));

/** After this long without an update a price is shown as stale. */
export const STALE_AFTER_MS = 60_000;

export function priceAge(entry: PriceEntry, now: number, clockOffsetMs: number): number {
  return Math.max(0, now + clockOffsetMs - entry.lastUpdateTime);
}
