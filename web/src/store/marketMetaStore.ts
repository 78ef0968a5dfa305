/** What the markets page knows beside prices: coin metadata (names, logos, rank, market cap,
 * trends) and the currency rates. Written by `useMarketMeta` (TanStack Query owns the reads);
 * rows select their own coin, so a refresh re-renders only rows whose coin changed. */
import { create } from "zustand";
import { EMPTY_ASSETS, type AssetIndex } from "../lib/assets";
import { EMPTY_RATES, type RatesIndex } from "../lib/fx";

export interface MarketMetaState {
  assets: AssetIndex;
  rates: RatesIndex;
  setAssets(assets: AssetIndex): void;
  setRates(rates: RatesIndex): void;
}

export const useMarketMetaStore = create<MarketMetaState>()((set, get) => ({
  assets: EMPTY_ASSETS,
  rates: EMPTY_RATES,
  setAssets: (next) => {
    // Keep each unchanged coin's object, so its row's selector sees no change.
    const prev = get().assets.byAsset;
    const byAsset = new Map(
      [...next.byAsset].map(([k, a]) => {
        const old = prev.get(k);
        return [k, old && JSON.stringify(old) === JSON.stringify(a) ? old : a];
      }),
    );
    set({ assets: { byAsset, updatedAt: next.updatedAt } });
  },
  setRates: (rates) => set({ rates }),
}));
