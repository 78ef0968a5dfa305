import { beforeEach, describe, expect, it } from "vitest";
import { priceAge, useCryptoStore } from "./cryptoStore";
import type { PriceUpdate, SymbolInfo } from "../protocol";

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

describe("restore (last session's prices, offline start)", () => {
  const info = { symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT" } as SymbolInfo;
  beforeEach(() => useCryptoStore.setState({ symbols: [], symbolsLoaded: false }));

  it("fills an empty store, aged from when they were saved", () => {
    const { restore } = useCryptoStore.getState();
    expect(restore([info], [u("BTCUSDT", "93409.52", 1000)], 4000)).toBe(true);
    const s = useCryptoStore.getState();
    expect(s.symbols).toEqual([info]);
    expect(s.prices.BTCUSDT?.price).toBe("93409.52");
    expect(s.lastMessageAt).toBe(4000);
  });

  it("never replaces what the server already sent", () => {
    const { applyUpdates, restore } = useCryptoStore.getState();
    applyUpdates([u("BTCUSDT", "95000", 9000)], 9000, 9000);
    expect(restore([info], [u("BTCUSDT", "93409.52", 1000)], 4000)).toBe(false);
    expect(useCryptoStore.getState().prices.BTCUSDT?.price).toBe("95000");
    expect(useCryptoStore.getState().lastMessageAt).toBe(9000);
  });
});

describe("delist (the server's delisted error)", () => {
  const info = (symbol: string): SymbolInfo => ({
    symbol,
    baseAsset: symbol.replace("USDT", ""),
    quoteAsset: "USDT",
  });

  it("drops the market's row and price, and leaves the others as they were", () => {
    useCryptoStore.setState({ symbols: [info("BTCUSDT"), info("ETHUSDT")], symbolsLoaded: true });
    useCryptoStore.getState().applyUpdates([u("BTCUSDT", "1", 1), u("ETHUSDT", "2", 1)], 1);
    const btc = useCryptoStore.getState().prices.BTCUSDT;
    useCryptoStore.getState().delist(["ETHUSDT"]);
    const state = useCryptoStore.getState();
    expect(state.symbols.map((s) => s.symbol)).toEqual(["BTCUSDT"]);
    expect(Object.keys(state.prices)).toEqual(["BTCUSDT"]);
    expect(state.prices.BTCUSDT).toBe(btc);
  });

  it("changes nothing for a market the page does not list", () => {
    useCryptoStore.setState({ symbols: [info("BTCUSDT")], symbolsLoaded: true });
    const before = useCryptoStore.getState();
    useCryptoStore.getState().delist(["NOPEUSDT"]);
    expect(useCryptoStore.getState().symbols).toBe(before.symbols);
  });
});
