import { useEffect } from "react";
import { loadMarkets, loadPrices, marketClient } from "../lib/market";
import { useCryptoStore } from "../store/cryptoStore";

/** How often rows without a live subscription (off screen) get fresh prices over HTTP. */
export const PRICE_REFRESH_MS = 30_000;
/** Retry schedule for the market list while the server has none yet (still starting) or fails. */
const LIST_RETRY_BASE_MS = 1000;
const LIST_RETRY_MAX_MS = 15_000;

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
      const delay = Math.min(LIST_RETRY_BASE_MS * 2 ** (attempt - 1), LIST_RETRY_MAX_MS);
      retry = setTimeout(() => void load(), delay);
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
    const refreshPrices = () => {
      if (document.visibilityState !== "visible") return;
      if (useCryptoStore.getState().link.state !== "connected") return;
      loadPrices(abort.signal).catch(() => undefined);
    };
    const refresh = setInterval(refreshPrices, refreshMs);
    // Back to a tab left open: today's prices (and the served build) at once, not in 30 s.
    document.addEventListener("visibilitychange", refreshPrices);
    return () => {
      clearInterval(refresh);
      document.removeEventListener("visibilitychange", refreshPrices);
      if (retry) clearTimeout(retry);
      unsubscribe();
      abort.abort();
      client.stop();
    };
  }, [refreshMs]);
}
