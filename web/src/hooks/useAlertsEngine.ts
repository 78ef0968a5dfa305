import { useEffect, useMemo } from "react";
import { PriceHistory, evaluate, type Alert } from "../lib/alerts";
import { useAlertsStore } from "../store/alertsStore";
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

/** Watches prices of every active alert's symbol (kept subscribed) and fires alerts once. */
export function useAlertsEngine(): void {
  const alerts = useAlertsStore((s) => s.alerts);
  const symbols = useMemo(
    () => alerts.filter((a) => a.state === "active").map((a) => a.symbol),
    [alerts],
  );
  useLiveSymbols("alerts", symbols);

  useEffect(() => {
    const history = new PriceHistory();
    const check = (prices: Record<string, PriceEntry>, before: Record<string, PriceEntry>) => {
      const active = useAlertsStore.getState().alerts.filter((a) => a.state === "active");
      if (active.length === 0) return;
      const now = Date.now();
      const seen = new Set<string>();
      for (const alert of active) {
        const entry = prices[alert.symbol];
        if (!entry || entry === before[alert.symbol]) continue;
        if (!seen.has(alert.symbol)) {
          history.push(alert.symbol, now, Number(entry.price));
          seen.add(alert.symbol);
        }
        const message = evaluate(alert, entry.price, now, history);
        if (message) {
          useAlertsStore.getState().markTriggered(alert.id, entry.price, now, message);
          notify(alert, message);
        }
      }
    };
    return useCryptoStore.subscribe((s, prev) => {
      if (s.prices !== prev.prices) check(s.prices, prev.prices);
    });
  }, []);
}
