/** Starred symbols, in the order starred, persisted in localStorage. */
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";

export interface WatchlistState {
  symbols: string[];
  toggle(symbol: string): void;
  remove(symbol: string): void;
}

export const WATCHLIST_STORAGE_KEY = "cryptotracker-watchlist";

export const useWatchlistStore = create<WatchlistState>()(
  persist(
    (set, get) => ({
      symbols: [],
      toggle: (symbol) => {
        const list = get().symbols;
        set({
          symbols: list.includes(symbol) ? list.filter((s) => s !== symbol) : [...list, symbol],
        });
      },
      remove: (symbol) => set({ symbols: get().symbols.filter((s) => s !== symbol) }),
    }),
    {
      name: WATCHLIST_STORAGE_KEY,
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ symbols: s.symbols }),
      migrate: (persisted) => {
        const list = (persisted as { symbols?: unknown } | null)?.symbols;
        return {
          symbols: Array.isArray(list)
            ? list.filter((s): s is string => typeof s === "string")
            : [],
        } as WatchlistState;
      },
    },
  ),
);
