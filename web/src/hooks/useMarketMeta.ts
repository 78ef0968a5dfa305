import { useQuery } from "@tanstack/react-query";
import { api } from "../lib/api";
import { readAssets } from "../lib/assets";
import { readRates } from "../lib/fx";
import { useCryptoStore } from "../store/cryptoStore";
import { useMarketMetaStore } from "../store/marketMetaStore";

/** Coin metadata changes slowly (the server refreshes it every few minutes). */
export const ASSETS_REFRESH_MS = 5 * 60_000;
/** A server just started has no metadata yet: ask again soon (a 304 while it has none). */
export const ASSETS_EMPTY_RETRY_MS = 10_000;
/** Rates follow live markets: a minute keeps the shown age small without polling hard. */
export const RATES_REFRESH_MS = 60_000;

export const ASSETS_QUERY_KEY = ["assets"] as const;
export const RATES_QUERY_KEY = ["rates"] as const;

/** Loads coin metadata and currency rates into the meta store and keeps them fresh. Either may
 * fail or be missing: the table then shows what the markets alone know, in their own currency. */
export function useMarketMeta(): void {
  // The metadata (~66 KB gzipped at 300 coins, mostly sparklines) is already on its way:
  // index.html preloads it beside the app's code, and this request reuses that answer. It is
  // read once the market list is in, so the rows it names exist.
  const listed = useCryptoStore((s) => s.symbolsLoaded);
  useQuery({
    queryKey: ASSETS_QUERY_KEY,
    enabled: listed,
    queryFn: async ({ signal }) => {
      const assets = readAssets(await api.assets(signal));
      useMarketMetaStore.getState().setAssets(assets);
      return assets.byAsset.size;
    },
    staleTime: ASSETS_REFRESH_MS,
    refetchInterval: (query) => (query.state.data ? ASSETS_REFRESH_MS : ASSETS_EMPTY_RETRY_MS),
    refetchIntervalInBackground: false,
    retry: 2,
  });
  useQuery({
    queryKey: RATES_QUERY_KEY,
    queryFn: async ({ signal }) => {
      const rates = readRates(await api.rates(signal));
      useMarketMetaStore.getState().setRates(rates);
      return rates.timestamp ?? 0;
    },
    staleTime: RATES_REFRESH_MS,
    refetchInterval: RATES_REFRESH_MS,
    refetchIntervalInBackground: false,
    retry: 2,
  });
}
