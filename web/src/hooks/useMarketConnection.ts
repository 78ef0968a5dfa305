import { useEffect } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { backoffDelay, type BackoffOptions } from "../lib/backoff";
import { loadMarkets, loadPrices, marketClient } from "../lib/market";
import { useCryptoStore } from "../store/cryptoStore";

/** How often rows without a live subscription (off screen) get fresh prices over HTTP. */
export const PRICE_REFRESH_MS = 30_000;
/** Retry schedule for the market list while the server has none yet (still starting) or fails:
 * one page asking one server, so no jitter. */
const LIST_RETRY: BackoffOptions = { baseMs: 1000, maxMs: 15_000, jitter: 0 };

export const MARKETS_QUERY_KEY = ["markets"] as const;
export const PRICES_QUERY_KEY = ["prices", "refresh"] as const;

/** Opens the page's connection and loads the market list; closes both on unmount. The HTTP reads
 * write into the crypto store (the socket's sink too); TanStack Query owns their retry and timing. */
export function useMarketConnection(refreshMs = PRICE_REFRESH_MS): void {
  const queryClient = useQueryClient();
  const connected = useCryptoStore((s) => s.link.state === "connected");

  useQuery({
    queryKey: MARKETS_QUERY_KEY,
    queryFn: async ({ signal }) => {
      await loadMarkets(signal);
      const s = useCryptoStore.getState();
      // No list yet is a server still starting; a failure is already shown: ask again either way.
      if (s.symbols.length === 0 || s.loadError) throw new Error(s.loadError ?? "no markets yet");
      return s.symbols;
    },
    retry: true,
    retryDelay: (failures) => backoffDelay(failures + 1, LIST_RETRY),
    // Loaded once; a reconnection reloads it (below).
    staleTime: Infinity,
  });

  useQuery({
    queryKey: PRICES_QUERY_KEY,
    queryFn: async ({ signal }) => {
      await loadPrices(signal);
      return Date.now();
    },
    // Only while connected and seen: a hidden tab or a dead server gets no polling.
    enabled: connected,
    refetchInterval: refreshMs,
    refetchIntervalInBackground: false,
    // The market list's load brought every price and the stream keeps visible rows current, so
    // only the interval refreshes the rest: never a mount, a focus or the link coming up.
    initialData: 0,
    staleTime: Infinity,
    // A failed refresh waits for the next interval.
    retry: false,
  });

  useEffect(() => {
    const client = marketClient();
    client.start();
    // After an outage, rows that are not subscribed get fresh prices too: the list (and every
    // price) loads again, its retry schedule from the start.
    let reconnects = useCryptoStore.getState().link.reconnects;
    const unsubscribe = useCryptoStore.subscribe((s) => {
      if (s.link.state === "connected" && s.link.reconnects !== reconnects) {
        reconnects = s.link.reconnects;
        void queryClient.resetQueries({ queryKey: MARKETS_QUERY_KEY });
      }
    });
    // Back to a tab left open: today's prices (and the served build) at once, not at the next
    // interval.
    const onVisible = () => {
      if (document.visibilityState !== "visible") return;
      if (useCryptoStore.getState().link.state !== "connected") return;
      void queryClient.refetchQueries({ queryKey: PRICES_QUERY_KEY });
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      unsubscribe();
      client.stop();
    };
  }, [queryClient]);
}
