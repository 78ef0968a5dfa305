import { useMemo } from "react";
import { BASE_CURRENCY, rateOf, type Conversion } from "../lib/fx";
import { useCurrencyStore } from "../store/currencyStore";
import { useMarketMetaStore } from "../store/marketMetaStore";

/** How to show an amount in `from` in the user's currency: null when it is shown as it is (the
 * same currency, no rate for either, or USDT chosen: the markets' own currencies, unconverted).
 * Re-renders the caller only when a rate string changes. */
export function useConversion(from: string): Conversion | null {
  const to = useCurrencyStore((s) => s.currency);
  const toRate = useMarketMetaStore((s) => rateOf(to, s.rates.byCurrency));
  const fromRate = useMarketMetaStore((s) => rateOf(from, s.rates.byCurrency));
  return useMemo(
    () =>
      from && from !== to && to !== BASE_CURRENCY && toRate && fromRate
        ? { from, to, toRate, fromRate }
        : null,
    [from, to, toRate, fromRate],
  );
}
