/** Chart preferences that outlive a reload: the candle interval last chosen. */
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";
import { CANDLE_INTERVALS, type CandleInterval } from "../protocol";

export interface ChartState {
  interval: CandleInterval;
  setInterval(interval: CandleInterval): void;
}

const isInterval = (v: unknown): v is CandleInterval =>
  (CANDLE_INTERVALS as readonly unknown[]).includes(v);

export const useChartStore = create<ChartState>()(
  persist((set) => ({ interval: "1m", setInterval: (interval) => set({ interval }) }), {
    name: "cryptotracker-chart",
    version: 1,
    storage: createJSONStorage(() => localStorage),
    partialize: (s) => ({ interval: s.interval }),
    // A value from an older build naming an interval the server no longer offers: the default.
    merge: (saved, current) => {
      const interval = (saved as Partial<ChartState> | undefined)?.interval;
      return isInterval(interval) ? { ...current, interval } : current;
    },
  }),
);
