import { beforeEach, describe, expect, it } from "vitest";
import { priceAge, useCryptoStore } from "./cryptoStore";
import type { PriceUpdate } from "../protocol";

const u = (symbol: string, price: string, t: number): PriceUpdate => ({
  symbol,
  price,
  priceChangePercent: "0.5",
  high24h: price,
  low24h: price,
  volume24h: "10",
  lastUpdateTime: t,
  source: "binance",
});

beforeEach(() => useCryptoStore.setState({ prices: {}, lastMessageAt: null, clockOffsetMs: 0 }));

describe("cryptoStore", () => {
  it("keeps prices as the exact strings and remembers the previous price", () => {
    const { applyUpdates } = useCryptoStore.getState();
    applyUpdates([u("BTCUSDT", "98765432101.12345678", 1000)], 1000, 1000);
    applyUpdates([u("BTCUSDT", "98765432101.12345679", 2000)], 2000, 2000);
    const entry = useCryptoStore.getState().prices.BTCUSDT;
    expect(entry?.price).toBe("98765432101.12345679");
    expect(entry?.prev).toBe("98765432101.12345678");
    expect(entry?.receivedAt).toBe(2000);
  });

  it("never steps back to an older state", () => {
    const { applyUpdates } = useCryptoStore.getState();
    applyUpdates([u("ETHUSDT", "3000", 5000)], 5000, 5000);
    applyUpdates([u("ETHUSDT", "2900", 4000)], 6000, 6000);
    expect(useCryptoStore.getState().prices.ETHUSDT?.price).toBe("3000");
  });

  it("leaves other symbols' entries untouched (rows re-render only for their own symbol)", () => {
    const { applyUpdates } = useCryptoStore.getState();
    applyUpdates([u("BTCUSDT", "1", 1), u("ETHUSDT", "2", 1)], 1, 1);
    const eth = useCryptoStore.getState().prices.ETHUSDT;
    applyUpdates([u("BTCUSDT", "1.1", 2)], 2, 2);
    expect(useCryptoStore.getState().prices.ETHUSDT).toBe(eth);
  });

  it("measures ages on the server's clock", () => {
    const { applyUpdates } = useCryptoStore.getState();
    // Server clock 5 s ahead of ours.
    applyUpdates([u("BTCUSDT", "1", 10_000)], 15_000, 10_000);
    const s = useCryptoStore.getState();
    expect(s.clockOffsetMs).toBe(5000);
    expect(priceAge(s.prices.BTCUSDT!, 12_000, s.clockOffsetMs)).toBe(7000);
  });
});
