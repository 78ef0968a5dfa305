/** Price alerts, persisted in localStorage with their state (active / triggered). */
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";
import { validateCondition, type Alert, type AlertCondition, type AlertError } from "../lib/alerts";

export interface AlertsState {
  alerts: Alert[];
  /** Adds an alert (its numbers canonical decimal strings) or returns why not. */
  add(symbol: string, condition: AlertCondition): AlertError | null;
  remove(id: string): void;
  rearm(id: string): void;
  markTriggered(id: string, price: string, at: number, message: string): void;
}

export const ALERTS_STORAGE_KEY = "cryptotracker-alerts";

export const useAlertsStore = create<AlertsState>()(
  persist(
    (set, get) => ({
      alerts: [],
      add: (symbol, condition) => {
        if (!/^[A-Z0-9]{2,20}$/.test(symbol)) return { field: "symbol", message: "Pick a market" };
        const error = validateCondition(condition);
        if (error) return error;
        const alert: Alert = {
          id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
          symbol,
          condition,
          state: "active",
          createdAt: Date.now(),
          triggeredAt: null,
          triggeredPrice: null,
          message: null,
        };
        set({ alerts: [...get().alerts, alert] });
        return null;
      },
      remove: (id) => set({ alerts: get().alerts.filter((a) => a.id !== id) }),
      rearm: (id) =>
        set({
          alerts: get().alerts.map((a) =>
            a.id === id
              ? { ...a, state: "active", triggeredAt: null, triggeredPrice: null, message: null }
              : a,
          ),
        }),
      markTriggered: (id, price, at, message) =>
        set({
          alerts: get().alerts.map((a) =>
            a.id === id
              ? { ...a, state: "triggered", triggeredAt: at, triggeredPrice: price, message }
              : a,
          ),
        }),
    }),
    {
      name: ALERTS_STORAGE_KEY,
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ alerts: s.alerts }),
    },
  ),
);
