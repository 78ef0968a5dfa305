import { beforeEach, describe, expect, it } from "vitest";
import { rollUp } from "../lib/lots";
import { PORTFOLIO_STORAGE_KEY, PORTFOLIO_VERSION, usePortfolioStore } from "./portfolioStore";

beforeEach(() => {
  localStorage.clear();
  usePortfolioStore.setState({ lots: [] });
});

const stored = () => JSON.parse(localStorage.getItem(PORTFOLIO_STORAGE_KEY) ?? "null");
const buy = (symbol: string, amount: string, price: string, fee = "") => ({
  symbol,
  side: "buy" as const,
  amount,
  price,
  fee,
});
const lots = () => usePortfolioStore.getState().lots;

describe("portfolioStore", () => {
  it("adds a lot as decimal strings read in the locale and persists it", () => {
    const errors = usePortfolioStore
      .getState()
      .addLot(buy("btcusdt", "0,5", "60.000,00", "1,5"), undefined, "de-DE", 7);
    expect(errors).toEqual({});
    expect(lots()).toMatchObject([
      { symbol: "BTCUSDT", side: "buy", amount: "0.5", price: "60000", fee: "1.5", at: 7 },
    ]);
    expect(stored()).toMatchObject({
      version: PORTFOLIO_VERSION,
      state: { lots: [{ symbol: "BTCUSDT", amount: "0.5" }] },
    });
  });

  it("refuses ambiguous, negative and zero numbers, and unknown markets, saving nothing", () => {
    const add = usePortfolioStore.getState().addLot;
    expect(add(buy("BTCUSDT", "1,00", "1"), undefined, "en-US")).toEqual({
      amount: "Did you mean 100 or 1.00?",
    });
    expect(add(buy("BTCUSDT", "1", "1.000"), undefined, "de-DE")).toEqual({
      price: "Did you mean 1000 or 1,000?",
    });
    expect(add(buy("BTCUSDT", "0", "1")).amount).toMatch(/more than 0/);
    expect(add(buy("BTCUSDT", "1", "-5")).price).toMatch(/negative/);
    expect(add(buy("BTCUSDT", "1", "5", "-1")).fee).toMatch(/negative/);
    expect(add(buy("NOPE", "1", "1"), new Set(["BTCUSDT"])).symbol).toMatch(/Unknown/);
    expect(lots()).toEqual([]);
  });

  it("refuses to sell more than is held, saying how much is", () => {
    const add = usePortfolioStore.getState().addLot;
    add(buy("BTCUSDT", "0.5", "60000"), undefined, "en-US");
    expect(add({ ...buy("BTCUSDT", "0.6", "70000"), side: "sell" }, undefined, "en-US")).toEqual({
      amount: "You hold 0.5 BTCUSDT: cannot sell more",
    });
    expect(add({ ...buy("BTCUSDT", "0.5", "70000"), side: "sell" }, undefined, "en-US")).toEqual(
      {},
    );
    expect(rollUp(lots())[0]).toMatchObject({ amount: "0", realised: "5000" });
  });

  it("keeps a buy that a later sell needs", () => {
    const s = usePortfolioStore.getState();
    s.addLot(buy("BTCUSDT", "1", "100"), undefined, "en-US", 1);
    s.addLot(buy("BTCUSDT", "1", "100"), undefined, "en-US", 2);
    s.addLot({ ...buy("BTCUSDT", "1.5", "100"), side: "sell" }, undefined, "en-US", 3);
    const [first, second, sell] = lots();
    expect(s.removeLot(first!.id)).toMatch(/later sell needs this buy/);
    expect(s.removeLot(sell!.id)).toBeNull();
    expect(s.removeLot(first!.id)).toBeNull();
    expect(lots()).toEqual([second]);
  });

  it("imports by replacing the lots of the markets in the file", () => {
    const s = usePortfolioStore.getState();
    s.addLot(buy("ETHUSDT", "2", "3000"));
    s.addLot(buy("ETHUSDT", "1", "3100"));
    s.addLot(buy("BTCUSDT", "1", "60000"));
    s.importLots([
      { symbol: "ETHUSDT", side: "buy", amount: "5", price: "2000", fee: "0", at: 1 },
      { symbol: "SOLUSDT", side: "buy", amount: "10", price: "150", fee: "0", at: 2 },
    ]);
    expect(lots().map((l) => [l.symbol, l.amount])).toEqual([
      ["BTCUSDT", "1"],
      ["ETHUSDT", "5"],
      ["SOLUSDT", "10"],
    ]);
  });

  it("migrates a version 2 holdings list into buy lots without loss", async () => {
    // As version 2 of the app stored it: two lines of BTC, one of SHIB.
    const v2 =
      '{"state":{"holdings":[' +
      '{"symbol":"BTCUSDT","amount":"0.5","avgPrice":"60000","id":"mi3k9x2a-1-k2j4h5","addedAt":1764410000000},' +
      '{"symbol":"SHIBUSDT","amount":"123456789","avgPrice":"0.00001234","id":"mi3ka0b1-2-p9o8i7","addedAt":1764410100000},' +
      '{"symbol":"BTCUSDT","amount":"0.25","avgPrice":"90000","id":"mi3kb3c4-3-u7y6t5","addedAt":1764410200000}' +
      ']},"version":2}';
    localStorage.setItem(PORTFOLIO_STORAGE_KEY, v2);
    await usePortfolioStore.persist.rehydrate();
    expect(lots()).toEqual([
      {
        id: "mi3k9x2a-1-k2j4h5",
        symbol: "BTCUSDT",
        side: "buy",
        amount: "0.5",
        price: "60000",
        fee: "0",
        at: 1764410000000,
      },
      {
        id: "mi3ka0b1-2-p9o8i7",
        symbol: "SHIBUSDT",
        side: "buy",
        amount: "123456789",
        price: "0.00001234",
        fee: "0",
        at: 1764410100000,
      },
      {
        id: "mi3kb3c4-3-u7y6t5",
        symbol: "BTCUSDT",
        side: "buy",
        amount: "0.25",
        price: "90000",
        fee: "0",
        at: 1764410200000,
      },
    ]);
    // The two BTC lines are now one position at their weighted average.
    expect(rollUp(lots()).map((p) => [p.symbol, p.amount, p.avgCost])).toEqual([
      ["BTCUSDT", "0.75", "70000"],
      ["SHIBUSDT", "123456789", "0.00001234"],
    ]);
    expect(stored()).toMatchObject({ version: PORTFOLIO_VERSION, state: { lots: lots() } });
  });

  it("migrates version 1 (numbers, no ids) and drops invalid rows", async () => {
    localStorage.setItem(
      PORTFOLIO_STORAGE_KEY,
      JSON.stringify({
        version: 1,
        state: {
          holdings: [
            { symbol: "BTCUSDT", amount: 0.25, buyPrice: 50000 },
            { symbol: "SHIBUSDT", amount: 1000000, buyPrice: 0.00001234 },
            { symbol: "BADUSDT", amount: -3, buyPrice: 1 },
          ],
        },
      }),
    );
    await usePortfolioStore.persist.rehydrate();
    expect(lots().map((l) => [l.symbol, l.side, l.amount, l.price, l.fee])).toEqual([
      ["BTCUSDT", "buy", "0.25", "50000", "0"],
      ["SHIBUSDT", "buy", "1000000", "0.00001234", "0"],
    ]);
    expect(lots().every((l) => typeof l.id === "string" && l.id.length > 0)).toBe(true);
    expect(stored().version).toBe(PORTFOLIO_VERSION);
  });
});
