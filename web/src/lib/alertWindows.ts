/** Server-side price history for "% move within a window" alerts: the candles that cover each
 * window, fetched from the candles API and refreshed while alerts need them. */
import type { QueryClient } from "@tanstack/react-query";
import type { CandleData, CandleInterval, CandleList } from "../protocol";
import { backoffDelay, type BackoffOptions } from "./backoff";

export type FetchCandles = (
  symbol: string,
  interval: CandleInterval,
  limit: number,
  signal: AbortSignal,
) => Promise<CandleList>;

const MAX_LIMIT = 1000; // the API's cap (api/candle_cache.py)
/** Newer candles than this are not fetched again: the window's extremes move slowly at minute
 * resolution, and the live price is compared against them on every tick anyway. */
export const REFRESH_MS = 60_000;

/** The finest candles whose window of `minutes` fits in one request. */
export function candleQuery(minutes: number): { interval: CandleInterval; limit: number } {
  const steps: [CandleInterval, number][] = [
    ["1m", 1],
    ["5m", 5],
    ["15m", 15],
    ["1h", 60],
  ];
  for (const [interval, size] of steps) {
    const limit = Math.ceil(minutes / size) + 1;
    if (limit <= MAX_LIMIT) return { interval, limit };
  }
  return { interval: "1h", limit: MAX_LIMIT };
}

const WINDOW_KEY = "alert-window";
/** After a failed fetch the window asks again on this schedule, up to half a refresh apart. */
const RETRY: BackoffOptions = { baseMs: 1000, maxMs: REFRESH_MS / 2, jitter: 0.2 };

/** The candle windows of the page's move alerts, kept in the page's query cache: a window is
 * fetched when first asked for, again once older than REFRESH_MS, and once at a time. */
export class CandleWindows {
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly queries: QueryClient,
    private readonly fetchCandles: FetchCandles,
    onLoaded: () => void = () => {},
  ) {
    this.unsubscribe = queries.getQueryCache().subscribe((event) => {
      if (
        event.type === "updated" &&
        event.action.type === "success" &&
        event.query.queryKey[0] === WINDOW_KEY
      ) {
        onLoaded();
      }
    });
  }

  /** The candles for this window if loaded (a fetch starts when missing or older than
   * REFRESH_MS); undefined until the first answer. */
  get(symbol: string, minutes: number): CandleData[] | undefined {
    const { interval, limit } = candleQuery(minutes);
    const queryKey = [WINDOW_KEY, symbol, interval, limit] as const;
    if (!this.closed) {
      // Answers at once from the cache while fresh; a fetch already under way is not repeated.
      void this.queries.prefetchQuery({
        queryKey,
        queryFn: ({ signal }) => this.fetchCandles(symbol, interval, limit, signal),
        staleTime: REFRESH_MS,
        // Until then the alert waits rather than guessing.
        retry: true,
        retryDelay: (failures) => backoffDelay(failures + 1, RETRY),
      });
    }
    return this.queries.getQueryData<CandleList>(queryKey)?.candles;
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    void this.queries.cancelQueries({ queryKey: [WINDOW_KEY] });
  }
}
