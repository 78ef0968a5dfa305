import { useMemo } from "react";
import { useShallow } from "zustand/react/shallow";
import type { Position } from "../lib/lots";
import { valuate, type Valuation } from "../lib/portfolio";
import { PORTFOLIO_CURRENCY } from "../lib/currency";
import { useCryptoStore } from "../store/cryptoStore";
import { useConversion } from "./useConversion";
import { useThrottledValue } from "./useThrottledValue";

/** Live value and P&L of every position, recomputed at most four times a second, in the user's
 * currency when a rate converts to it (`currency`, and `converted` to label it). */
export function usePortfolioValuation(
  positions: readonly Position[],
): Valuation<Position> & { currency: string; converted: boolean } {
  const conv = useConversion(PORTFOLIO_CURRENCY);
  const symbols = useMemo(() => positions.map((p) => p.symbol), [positions]);
  const live = useCryptoStore(
    useShallow((s) => symbols.map((sym) => s.prices[sym]?.price ?? null)),
  );
  const prices = useThrottledValue(live, 250);
  // From USDT only a multiplication: exact.
  const rate = conv ? conv.toRate : "1";
  const currency = conv ? conv.to : PORTFOLIO_CURRENCY;
  return useMemo(
    () => ({ ...valuate(positions, prices, rate), currency, converted: conv !== null }),
    [positions, prices, rate, currency, conv],
  );
}
