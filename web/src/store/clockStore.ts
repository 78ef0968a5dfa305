/** One clock for the page (App ticks it 4 times a second), so ages and stale marks share one timer. */
import { create } from "zustand";

export interface ClockState {
  now: number;
  tick(now?: number): void;
}

export const useClockStore = create<ClockState>()((set) => ({
  now: Date.now(),
  tick: (now = Date.now()) => set({ now }),
}));
