import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Snapshot } from "../lib/lastPrices";
import type { PriceUpdate, SymbolInfo } from "../protocol";
import { useCryptoStore } from "../store/cryptoStore";
import { useLastPrices } from "./useLastPrices";

const saved: Snapshot[] = [];
let stored: Snapshot | null = null;
// IndexedDB itself is exercised in Chromium (tests/web/test_offline.py); here, when and what.
vi.mock("../lib/lastPrices", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../lib/lastPrices")>()),
  saveSnapshot: async (s: Snapshot) => void saved.push(s),
  loadSnapshot: async () => stored,
}));

const info = { symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT" } as SymbolInfo;
const btc = (price: string, t: number): PriceUpdate => ({
  symbol: "BTCUSDT",
  price,
  priceChangePercent: "1",
  high24h: price,
  low24h: price,
  volume24h: "1",
  lastUpdateTime: t,
  source: "binance",
});

beforeEach(() => {
  vi.useFakeTimers();
  saved.length = 0;
  stored = null;
  useCryptoStore.setState({ symbols: [], symbolsLoaded: false, prices: {}, lastMessageAt: null });
});
afterEach(() => vi.useRealTimers());

describe("useLastPrices", () => {
  it("keeps the first prices at once, then at most once per period", async () => {
    renderHook(() => useLastPrices(5_000));
    await act(() => vi.advanceTimersByTimeAsync(0));
    useCryptoStore.getState().setSymbols([info]);
    act(() => useCryptoStore.getState().applyUpdates([btc("1", 1)], 1, 1_000));
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(saved.map((s) => s.prices[0]?.price)).toEqual(["1"]);

    for (let i = 2; i <= 20; i++) {
      act(() => useCryptoStore.getState().applyUpdates([btc(String(i), i)], i, 1_000 + i));
    }
    await act(() => vi.advanceTimersByTimeAsync(4_900));
    expect(saved).toHaveLength(1);
    await act(() => vi.advanceTimersByTimeAsync(200));
    expect(saved.map((s) => s.prices[0]?.price)).toEqual(["1", "20"]);
    await act(() => vi.advanceTimersByTimeAsync(20_000));
    expect(saved).toHaveLength(2); // nothing new, nothing written
  });

  it("shows the last session's prices when the server has sent none", async () => {
    stored = { version: 1, savedAt: 500, symbols: [info], prices: [btc("93409.52", 400)] };
    renderHook(() => useLastPrices(5_000));
    await act(() => vi.advanceTimersByTimeAsync(0));
    const s = useCryptoStore.getState();
    expect(s.prices.BTCUSDT?.price).toBe("93409.52");
    expect(s.lastMessageAt).toBe(500);
    await act(() => vi.advanceTimersByTimeAsync(10_000));
    expect(saved).toHaveLength(0); // what it showed is what is stored already
  });
});
