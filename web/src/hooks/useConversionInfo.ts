import { BASE_CURRENCY } from "../lib/fx";
import { useClockStore } from "../store/clockStore";
import { useCurrencyStore } from "../store/currencyStore";
import { useMarketMetaStore } from "../store/marketMetaStore";

export interface ConversionInfo {
  currency: string;
  /** null: no rate for it (yet). */
  rate: string | null;
  source: string;
  asOf: number;
  ageMs: number;
}

/** The rate in use for the user's currency, with its source and age; null when none is used. */
export function useConversionInfo(): ConversionInfo | null {
  const currency = useCurrencyStore((s) => s.currency);
  const fx = useMarketMetaStore((s) => s.rates.byCurrency.get(currency));
  // Ages in whole seconds: the clock ticks faster, the text need not.
  const nowS = useClockStore((s) => Math.floor(s.now / 1000));
  if (currency === BASE_CURRENCY) return null;
  if (!fx) return { currency, rate: null, source: "", asOf: 0, ageMs: 0 };
  return {
    currency,
    rate: fx.rate,
    source: fx.source,
    asOf: fx.asOf,
    ageMs: Math.max(0, nowS * 1000 - fx.asOf),
  };
}
