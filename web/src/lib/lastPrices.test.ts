import { describe, expect, it } from "vitest";
import { SNAPSHOT_VERSION, fromStored, toSnapshot } from "./lastPrices";
import type { PriceEntry } from "../store/cryptoStore";
import type { PriceUpdate, SymbolInfo } from "../protocol";

const btc: PriceUpdate = {
  symbol: "BTCUSDT",
  price: "93409.52",
  priceChangePercent: "1.58",
  high24h: "93999.37",
  low24h: "91104.27",
  volume24h: "2750000000",
  lastUpdateTime: 1_000,
  source: "binance",
};
const info = { symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT" } as SymbolInfo;
const entry: PriceEntry = { ...btc, receivedAt: 5_000, prev: "93409.51" };

describe("lastPrices", () => {
  it("keeps the wire prices, exact strings, without the page's bookkeeping", () => {
    const snapshot = toSnapshot({
      symbols: [info],
      prices: { BTCUSDT: entry },
      lastMessageAt: 5_000,
    });
    expect(snapshot).toEqual({
      version: SNAPSHOT_VERSION,
      savedAt: 5_000,
      symbols: [info],
      prices: [btc],
    });
  });

  it("keeps nothing before the market list and a first price are in", () => {
    expect(
      toSnapshot({ symbols: [], prices: { BTCUSDT: entry }, lastMessageAt: 5_000 }),
    ).toBeNull();
    expect(toSnapshot({ symbols: [info], prices: {}, lastMessageAt: null })).toBeNull();
  });

  it("reads back what it stored and refuses other versions or torn values", () => {
    const stored = structuredClone(
      toSnapshot({ symbols: [info], prices: { BTCUSDT: entry }, lastMessageAt: 5_000 }),
    );
    expect(fromStored(stored)).toEqual(stored);
    expect(fromStored({ ...stored, version: 99 })).toBeNull();
    expect(fromStored({ ...stored, prices: "x" })).toBeNull();
    expect(fromStored(undefined)).toBeNull();
    const bad = fromStored({ ...stored, prices: [btc, { ...btc, price: "1e5" }] });
    expect(bad?.prices).toEqual([btc]);
  });
});
