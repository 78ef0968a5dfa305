import { useEffect, useMemo } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { observe, step, describeCondition, type Alert } from "../lib/alerts";
import { CandleWindows, type FetchCandles } from "../lib/alertWindows";
import { api } from "../lib/api";
import { useAlertsStore, type FiredAlert } from "../store/alertsStore";
import { useCryptoStore, type PriceEntry } from "../store/cryptoStore";
import { useToastStore } from "../store/toastStore";
import { useLiveSymbols } from "./useLiveSymbols";

function notify(alert: Alert, message: string): void {
  useToastStore.getState().push({ title: `Alert: ${alert.symbol}`, body: message, tone: "alert" });
  if (typeof Notification !== "undefined" && Notification.permission === "granted") {
    try {
      new Notification(`Crypto Tracker: ${alert.symbol}`, { body: message, tag: alert.id });
    } catch {
      // Some browsers allow notifications only from a service worker: the toast is enough.
    }
  }
}

const fetchFromApi: FetchCandles = (symbol, interval, limit, signal) =>
  api.candles(symbol, interval, limit, signal);

/** Advances every active alert on each new price of its symbol (kept subscribed), writes what
 * changed, and notifies the firings. Move alerts judge against candles from the server. */
export function useAlertsEngine(fetchCandles: FetchCandles = fetchFromApi): void {
  const queryClient = useQueryClient();
  const alerts = useAlertsStore((s) => s.alerts);
  const symbols = useMemo(
    () => alerts.filter((a) => a.state === "active").map((a) => a.symbol),
    [alerts],
  );
  useLiveSymbols("alerts", symbols);

  useEffect(() => {
    const check = (prices: Record<string, PriceEntry>, before: Record<string, PriceEntry>) => {
      const active = useAlertsStore.getState().alerts.filter((a) => a.state === "active");
      if (active.length === 0) return;
      const now = Date.now();
      const changed: Alert[] = [];
      const fired: FiredAlert[] = [];
      for (const alert of active) {
        const entry = prices[alert.symbol];
        if (!entry || entry === before[alert.symbol]) continue;
        const c = alert.condition;
        const candles = c.kind === "move" ? windows.get(alert.symbol, c.minutes) : undefined;
        const seen = observe(alert, entry.price, now, candles);
        if (!seen) continue;
        const next = step(alert, seen, now, entry.price);
        if (next.alert === alert) continue;
        changed.push(next.alert);
        if (next.fired) {
          fired.push({
            alertId: alert.id,
            symbol: alert.symbol,
            rule: describeCondition(c, undefined, alert.currency),
            price: entry.price,
            at: now,
            message: next.fired,
          });
          notify(alert, next.fired);
        }
      }
      if (changed.length) useAlertsStore.getState().apply(changed, fired);
    };
    // A window that has just loaded is judged at once against the price already known.
    const windows = new CandleWindows(queryClient, fetchCandles, () =>
      check(useCryptoStore.getState().prices, {}),
    );
    const unsubscribe = useCryptoStore.subscribe((s, prev) => {
      if (s.prices !== prev.prices) check(s.prices, prev.prices);
    });
    return () => {
      unsubscribe();
      windows.close();
    };
  }, [fetchCandles, queryClient]);
}
