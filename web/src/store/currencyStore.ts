/** The currency the user reads money in, persisted in localStorage. Values are converted from
 * the markets' own quote currency only for display, with the rates in `fxStore`. */
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";
import { BASE_CURRENCY } from "../lib/fx";

export interface CurrencyState {
  currency: string;
  setCurrency(currency: string): void;
}

export const CURRENCY_STORAGE_KEY = "cryptotracker-currency";
const CURRENCY_RE = /^[A-Z]{3,5}$/;

export const useCurrencyStore = create<CurrencyState>()(
  persist(
    (set) => ({
      currency: BASE_CURRENCY,
      setCurrency: (currency) => {
        if (CURRENCY_RE.test(currency)) set({ currency });
      },
    }),
    {
      name: CURRENCY_STORAGE_KEY,
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ currency: s.currency }),
      // A hand-edited or foreign value falls back to the markets' own currency.
      merge: (persisted, current) => {
        const c = (persisted as { currency?: unknown } | null)?.currency;
        return {
          ...current,
          currency: typeof c === "string" && CURRENCY_RE.test(c) ? c : current.currency,
        };
      },
    },
  ),
);
