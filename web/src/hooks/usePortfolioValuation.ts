import { useMemo } from "react";
import { useShallow } from "zustand/react/shallow";
import type { Position } from "../lib/lots";
import { valuate, type Valuation } from "../lib/portfolio";
import { useCryptoStore } from "../store/cryptoStore";
import { useThrottledValue } from "./useThrottledValue";

/** Live value and P&L of every position, recomputed at most four times a second. */
export function usePortfolioValuation(positions: readonly Position[]): Valuation<Position> {
  const symbols = useMemo(() => positions.map((p) => p.symbol), [positions]);
  const live = useCryptoStore(
    useShallow((s) => symbols.map((sym) => s.prices[sym]?.price ?? null)),
  );
  const prices = useThrottledValue(live, 250);
  return useMemo(() => valuate(positions, prices), [positions, prices]);
}
