import { useEffect } from "react";
import { loadMarkets, marketClient } from "../lib/market";
import { useCryptoStore } from "../store/cryptoStore";

/** Opens the page's connection and loads the market list; closes both on unmount. */
export function useMarketConnection(): void {
  useEffect(() => {
    const abort = new AbortController();
    const client = marketClient();
    void loadMarkets(abort.signal);
    client.start();
    // After an outage, rows that are not subscribed get fresh prices too.
    let reconnects = useCryptoStore.getState().link.reconnects;
    const unsubscribe = useCryptoStore.subscribe((s) => {
      if (s.link.state === "connected" && s.link.reconnects !== reconnects) {
        reconnects = s.link.reconnects;
        void loadMarkets(abort.signal);
      }
    });
    return () => {
      unsubscribe();
      abort.abort();
      client.stop();
    };
  }, []);
}
