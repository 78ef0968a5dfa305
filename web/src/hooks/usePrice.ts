import { useCryptoStore, type PriceEntry } from "../store/cryptoStore";
import { useThrottledValue } from "./useThrottledValue";

/** One symbol's latest price, re-rendering the caller at most every `intervalMs`. */
export function usePrice(symbol: string, intervalMs = 100): PriceEntry | undefined {
  const entry = useCryptoStore((s) => s.prices[symbol]);
  return useThrottledValue(entry, intervalMs);
}
