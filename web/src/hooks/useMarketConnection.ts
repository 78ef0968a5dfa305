import { useEffect } from "react";
import { backoffDelay, type BackoffOptions } from "../lib/backoff";
import { loadMarkets, loadPrices, marketClient } from "../lib/market";
import { useCryptoStore } from "../store/cryptoStore";

/** How often rows without a live subscription (off screen) get fresh prices over HTTP. */
export const PRICE_REFRESH_MS = 30_000;
/** Retry schedule for the market list while the server has none yet (still starting) or fails:
 * one page asking one server, so no jitter. */
const LIST_RETRY: BackoffOptions = { baseMs: 1000, maxMs: 15_000, jitter: 0 };

/** Opens the page's connection and loads the market list; closes both on unmount. */
export function useMarketConnection(refreshMs = PRICE_REFRESH_MS): void {
  useEffect(() => {
    const abort = new AbortController();
    const client = marketClient();
    let retry: ReturnType<typeof setTimeout> | null = null;
    let attempt = 0;

    const load = async () => {
      if (retry) clearTimeout(retry);
      retry = null;
      await loadMarkets(abort.signal);
      if (abort.signal.aborted) return;
      const s = useCryptoStore.getState();
      if (s.symbols.length > 0 && !s.loadError) {
        attempt = 0;
        return;
      }
      attempt += 1;
      retry = setTimeout(() => void load(), backoffDelay(attempt, LIST_RETRY));
    };

    void load();
    client.start();
    // After an outage, rows that are not subscribed get fresh prices too.
    let reconnects = useCryptoStore.getState().link.reconnects;
    const unsubscribe = useCryptoStore.subscribe((s) => {
      if (s.link.state === "connected" && s.link.reconnects !== reconnects) {
        reconnects = s.link.reconnects;
        attempt = 0;
        void load();
      }
    });
    // Only while connected and seen: a hidden tab or a dead server gets no polling.
    const refresh = setInterval(() => {
      if (document.visibilityState !== "visible") return;
      if (useCryptoStore.getState().link.state !== "connected") return;
      loadPrices(abort.signal).catch(() => undefined);
    }, refreshMs);
    return () => {
      clearInterval(refresh);
      if (retry) clearTimeout(retry);
      unsubscribe();
      abort.abort();
      client.stop();
    };
  }, [refreshMs]);
}
