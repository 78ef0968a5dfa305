/** Server-side price history for "% move within a window" alerts: the candles that cover each
 * window, fetched from the candles API and refreshed while alerts need them. */
import type { CandleData, CandleInterval, CandleList } from "../protocol";

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

interface Entry {
  candles: CandleData[] | undefined;
  fetchedAt: number;
  inFlight: boolean;
}

export class CandleWindows {
  private readonly entries = new Map<string, Entry>();
  private readonly abort = new AbortController();

  constructor(
    private readonly fetchCandles: FetchCandles,
    private readonly onLoaded: () => void = () => {},
  ) {}

  /** The candles for this window if loaded (a fetch starts when missing or older than
   * REFRESH_MS); undefined until the first answer. */
  get(symbol: string, minutes: number, now: number): CandleData[] | undefined {
    const { interval, limit } = candleQuery(minutes);
    const key = `${symbol}|${interval}|${limit}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { candles: undefined, fetchedAt: -Infinity, inFlight: false };
      this.entries.set(key, entry);
    }
    if (!entry.inFlight && now - entry.fetchedAt >= REFRESH_MS && !this.abort.signal.aborted) {
      const e = entry;
      e.inFlight = true;
      this.fetchCandles(symbol, interval, limit, this.abort.signal).then(
        (list) => {
          e.candles = list.candles;
          e.fetchedAt = Date.now();
          e.inFlight = false;
          this.onLoaded();
        },
        () => {
          // Tried again on a later tick; until then the alert waits rather than guessing.
          e.fetchedAt = Date.now() - REFRESH_MS / 2;
          e.inFlight = false;
        },
      );
    }
    return entry.candles;
  }

  close(): void {
    this.abort.abort();
    this.entries.clear();
  }
}
