import { QueryClient } from "@tanstack/react-query";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CandleList } from "../protocol";
import { CandleWindows, REFRESH_MS, type FetchCandles } from "./alertWindows";

const list = (close: string): CandleList => ({
  symbol: "BTCUSDT",
  interval: "1m",
  candles: [
    {
      symbol: "BTCUSDT",
      interval: "1m",
      openTime: 0,
      closeTime: 59_999,
      open: close,
      high: close,
      low: close,
      close,
      volume: "1",
      closed: true,
      source: "binance",
    },
  ],
});

/** Lets timers and the answers they start land. */
const settle = (ms: number) => vi.advanceTimersByTimeAsync(ms);

let queries: QueryClient;
beforeEach(() => {
  vi.useFakeTimers();
  queries = new QueryClient();
});
afterEach(() => {
  queries.clear();
  vi.useRealTimers();
});

describe("CandleWindows", () => {
  it("fetches a window once while fresh and again once older than the refresh time", async () => {
    const fetchCandles = vi.fn<FetchCandles>(async () => list("100"));
    const loaded = vi.fn();
    const windows = new CandleWindows(queries, fetchCandles, loaded);

    expect(windows.get("BTCUSDT", 60)).toBeUndefined();
    expect(windows.get("BTCUSDT", 60)).toBeUndefined(); // the first fetch is still under way
    await settle(0);
    expect(fetchCandles).toHaveBeenCalledTimes(1);
    expect(fetchCandles).toHaveBeenCalledWith("BTCUSDT", "1m", 61, expect.any(AbortSignal));
    expect(loaded).toHaveBeenCalledTimes(1);
    expect(windows.get("BTCUSDT", 60)?.[0]?.close).toBe("100");

    await settle(REFRESH_MS - 1000);
    windows.get("BTCUSDT", 60);
    await settle(0);
    expect(fetchCandles).toHaveBeenCalledTimes(1);

    fetchCandles.mockImplementation(async () => list("105"));
    await settle(1000);
    expect(windows.get("BTCUSDT", 60)?.[0]?.close).toBe("100"); // the old answer until the new one
    await settle(0);
    expect(fetchCandles).toHaveBeenCalledTimes(2);
    expect(loaded).toHaveBeenCalledTimes(2);
    expect(windows.get("BTCUSDT", 60)?.[0]?.close).toBe("105");
    windows.close();
  });

  it("asks again after a failure on the backoff schedule, without a tick asking", async () => {
    const fetchCandles = vi.fn<FetchCandles>(() => Promise.reject(new Error("HTTP 503")));
    const windows = new CandleWindows(queries, fetchCandles);
    windows.get("ETHUSDT", 30);
    await settle(0);
    expect(fetchCandles).toHaveBeenCalledTimes(1);
    windows.get("ETHUSDT", 30); // a tick while the retry waits does not add a request
    await settle(0);
    expect(fetchCandles).toHaveBeenCalledTimes(1);

    fetchCandles.mockImplementation(async () => list("7"));
    await settle(1000); // the first retry is at most 1 s away (jitter only shortens it)
    expect(fetchCandles).toHaveBeenCalledTimes(2);
    expect(windows.get("ETHUSDT", 30)?.[0]?.close).toBe("7");
    windows.close();
  });

  it("stops fetching once closed", async () => {
    const fetchCandles = vi.fn<FetchCandles>(async () => list("1"));
    const windows = new CandleWindows(queries, fetchCandles);
    windows.close();
    expect(windows.get("BTCUSDT", 60)).toBeUndefined();
    await settle(REFRESH_MS);
    expect(fetchCandles).not.toHaveBeenCalled();
  });
});
