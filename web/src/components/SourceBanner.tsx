import { useClockStore } from "../store/clockStore";
import { LIVE_SOURCES, type Source } from "../protocol";
import { useCryptoStore } from "../store/cryptoStore";

const SOURCE_NAME: Record<Source, string> = {
  binance: "Binance",
  coinbase: "Coinbase",
  kraken: "Kraken",
  coingecko: "CoinGecko (delayed)",
  simulator: "the built-in market simulator (not real market data)",
};

/** Seconds until the server's next attempt at the exchange feed, on the server's clock; null when
 * none is planned. Counted from the deadline, so it runs down instead of freezing. */
export function secondsUntil(retryAt: number | null | undefined, now: number, offsetMs: number) {
  if (retryAt == null) return null;
  return Math.max(0, Math.ceil((retryAt - (now + offsetMs)) / 1000));
}

/** Says so whenever prices are not from a live exchange (fallback source or simulator), or come
 * from another live exchange than the first choice (its status is then degraded). Polite
 * (role=status): it is context, not an emergency, and is not read out again on every page. */
export function SourceBanner() {
  const feed = useCryptoStore((s) => s.feed);
  const retryIn = useClockStore((s) =>
    secondsUntil(feed?.retryAt, s.now, useCryptoStore.getState().clockOffsetMs),
  );
  if (!feed) return null;
  const notLive =
    feed.live === false || (feed.source != null && !LIVE_SOURCES.includes(feed.source));
  const degraded = feed.status !== "connected";
  if (!notLive && !degraded) return null;

  let text: string;
  if (feed.restricted) {
    // Not an outage that will pass: say why, so nobody waits for Binance to come back.
    text = `Binance refuses this server's location (HTTP 451) — prices come from ${
      feed.source && feed.source !== "binance" ? SOURCE_NAME[feed.source] : "no other source yet"
    }.`;
  } else if (feed.source === "simulator") {
    text =
      "Simulated prices: these come from the built-in market simulator, not from a real exchange.";
  } else if (feed.source === "coingecko") {
    text =
      "Fallback prices from CoinGecko: the live exchange feed is unavailable, so prices are delayed.";
  } else if (notLive) {
    text = "Prices are not from a live exchange feed right now.";
  } else {
    text = `Exchange feed ${feed.status}${feed.message ? `: ${feed.message}` : "."}`;
  }
  return (
    <div
      data-testid="source-banner"
      data-source={feed.source ?? ""}
      data-restricted={feed.restricted ? "true" : "false"}
      className="border-b border-warn-fg/30 bg-warn-bg text-warn-fg"
    >
      <div className="mx-auto flex max-w-7xl items-start gap-2 px-2 py-1.5 text-xs sm:px-4 sm:text-sm">
        <svg viewBox="0 0 24 24" className="mt-0.5 h-4 w-4 shrink-0" aria-hidden="true">
          <path
            d="M12 3l10 18H2z"
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinejoin="round"
          />
          <path
            d="M12 10v5M12 17.5v.5"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinecap="round"
          />
        </svg>
        <span>
          <span role="status">{text}</span>
          {retryIn !== null && (
            // Outside the live region: a countdown read out every second would drown the page.
            <span data-testid="feed-retry" className="tabular">
              {retryIn > 0 ? ` Next attempt in ${retryIn} s.` : " Trying now…"}
            </span>
          )}
        </span>
      </div>
    </div>
  );
}
