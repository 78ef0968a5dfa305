import { useMemo } from "react";
import { useShallow } from "zustand/react/shallow";
import { valuate, type Valuation } from "../lib/portfolio";
import { useCryptoStore } from "../store/cryptoStore";
import type { Holding } from "../store/portfolioStore";
import { useThrottledValue } from "./useThrottledValue";

/** Live value and P&L of every holding, recomputed at most four times a second. */
export function usePortfolioValuation(holdings: readonly Holding[]): Valuation<Holding> {
  const symbols = useMemo(() => holdings.map((h) => h.symbol), [holdings]);
  const live = useCryptoStore(
    useShallow((s) => symbols.map((sym) => s.prices[sym]?.price ?? null)),
  );
  const prices = useThrottledValue(live, 250);
  return useMemo(() => valuate(holdings, prices), [holdings, prices]);
}
