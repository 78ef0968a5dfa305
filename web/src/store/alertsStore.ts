/** Price alerts and the history of their firings, persisted in localStorage (versioned; older
 * shapes are migrated). */
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";
import {
  describeCondition,
  guessQuote,
  holdsAt,
  validateCondition,
  validateRearm,
  type Alert,
  type AlertCondition,
  type AlertError,
  type RearmRule,
} from "../lib/alerts";

/** One firing, kept after its alert is changed or deleted. */
export interface FiredAlert {
  alertId: string;
  symbol: string;
  /** The rule as it read when it fired, e.g. "crosses above 90,000.00 USDT". */
  rule: string;
  price: string;
  at: number;
  message: string;
}

export interface AlertsState {
  alerts: Alert[];
  /** Newest first, at most HISTORY_LIMIT. */
  history: FiredAlert[];
  /** Adds an alert (its numbers canonical decimal strings) or returns why not. `price`, when
   * known, is the current one: it sets which side the alert starts on. `currency`: what the
   * threshold is in, the market's quote currency (default: read from the symbol). */
  add(
    symbol: string,
    condition: AlertCondition,
    rearm?: RearmRule,
    price?: string,
    currency?: string,
  ): AlertError | null;
  remove(id: string): void;
  /** Re-arms a triggered alert: it waits for its condition to turn true again. */
  rearm(id: string): void;
  /** Writes alerts advanced by the engine (same ids) and records the firings among them. */
  apply(changed: readonly Alert[], fired: readonly FiredAlert[]): void;
  clearHistory(): void;
}

export const ALERTS_STORAGE_KEY = "cryptotracker-alerts";
export const ALERTS_VERSION = 3;
export const HISTORY_LIMIT = 100;

/** Version 1 alerts fired once when their condition held, already true or not; no history. */
interface AlertV1 {
  id: string;
  symbol: string;
  condition: AlertCondition;
  state: "active" | "triggered";
  createdAt: number;
  triggeredAt: number | null;
  triggeredPrice: string | null;
  message: string | null;
}

/** Version 2 alerts had no currency: their thresholds were in their market's quote currency. */
type AlertV2 = Omit<Alert, "currency"> & { currency?: unknown };

function withCurrency(a: AlertV2): Alert {
  return {
    ...a,
    currency: typeof a.currency === "string" && a.currency ? a.currency : guessQuote(a.symbol),
  };
}

export function migrateAlerts(
  persisted: unknown,
  version: number,
): Pick<AlertsState, "alerts" | "history"> {
  const state = (persisted ?? {}) as { alerts?: unknown; history?: unknown };
  const list = Array.isArray(state.alerts) ? state.alerts : [];
  if (version >= 2) {
    const history = Array.isArray(state.history) ? (state.history as FiredAlert[]) : [];
    return { alerts: (list as AlertV2[]).map(withCurrency), history };
  }
  const old = list as AlertV1[];
  // Version 1 alerts fired once: they keep that rule; their side is learnt from the next price.
  const alerts = old.map((a): Alert =>
    withCurrency({ ...a, rearm: { kind: "once" }, armed: null }),
  );
  const history = old
    .filter((a) => a.state === "triggered" && a.triggeredAt !== null)
    .map((a): FiredAlert => ({
      alertId: a.id,
      symbol: a.symbol,
      rule: describeCondition(a.condition, undefined, guessQuote(a.symbol)),
      price: a.triggeredPrice ?? "",
      at: a.triggeredAt ?? 0,
      message: a.message ?? "",
    }))
    .sort((x, y) => y.at - x.at)
    .slice(0, HISTORY_LIMIT);
  return { alerts, history };
}

function newId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export const useAlertsStore = create<AlertsState>()(
  persist(
    (set, get) => ({
      alerts: [],
      history: [],
      add: (symbol, condition, rearm = { kind: "once" }, price, currency) => {
        if (!/^[A-Z0-9]{2,20}$/.test(symbol)) return { field: "symbol", message: "Pick a market" };
        const error = validateCondition(condition) ?? validateRearm(rearm);
        if (error) return error;
        const holds = condition.kind !== "move" && price ? holdsAt(condition, price) : null;
        const alert: Alert = {
          id: newId(),
          symbol,
          condition,
          currency: currency ?? guessQuote(symbol),
          rearm,
          state: "active",
          armed: holds === null ? null : !holds,
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
            a.id === id ? { ...a, state: "active", armed: null, message: null } : a,
          ),
        }),
      apply: (changed, fired) => {
        const byId = new Map(changed.map((a) => [a.id, a]));
        const alerts = get().alerts.map((a) => byId.get(a.id) ?? a);
        const history = fired.length
          ? [...[...fired].reverse(), ...get().history].slice(0, HISTORY_LIMIT)
          : get().history;
        set({ alerts, history });
      },
      clearHistory: () => set({ history: [] }),
    }),
    {
      name: ALERTS_STORAGE_KEY,
      version: ALERTS_VERSION,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ alerts: s.alerts, history: s.history }),
      migrate: (persisted, version) => migrateAlerts(persisted, version) as AlertsState,
    },
  ),
);
