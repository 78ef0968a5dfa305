import { beforeEach, describe, expect, it } from "vitest";
import { PORTFOLIO_STORAGE_KEY, PORTFOLIO_VERSION, usePortfolioStore } from "./portfolioStore";

beforeEach(() => {
  localStorage.clear();
  usePortfolioStore.setState({ holdings: [] });
});

const stored = () => JSON.parse(localStorage.getItem(PORTFOLIO_STORAGE_KEY) ?? "null");

describe("portfolioStore", () => {
  it("adds a valid holding as decimal strings and persists it", () => {
    const errors = usePortfolioStore
      .getState()
      .add({ symbol: "btcusdt", amount: "0,5", avgPrice: "60.000,00" }, undefined, "de-DE");
    expect(errors).toEqual({});
    const [h] = usePortfolioStore.getState().holdings;
    expect(h).toMatchObject({ symbol: "BTCUSDT", amount: "0.5", avgPrice: "60000" });
    expect(stored()).toMatchObject({
      version: PORTFOLIO_VERSION,
      state: { holdings: [{ symbol: "BTCUSDT" }] },
    });
  });

  it("reads thousands separators in the locale instead of cutting the number at them", () => {
    const add = usePortfolioStore.getState().add;
    expect(
      add({ symbol: "BTCUSDT", amount: "1,000", avgPrice: "60,000" }, undefined, "en-US"),
    ).toEqual({});
    expect(
      add({ symbol: "ETHUSDT", amount: "1.000,5", avgPrice: "1000.5" }, undefined, "de-DE"),
    ).toEqual({});
    expect(usePortfolioStore.getState().holdings.map((h) => [h.amount, h.avgPrice])).toEqual([
      ["1000", "60000"],
      ["1000.5", "1000.5"],
    ]);
  });

  it("refuses ambiguous numbers with the question, and saves nothing", () => {
    const add = usePortfolioStore.getState().add;
    expect(add({ symbol: "BTCUSDT", amount: "1,00", avgPrice: "1" }, undefined, "en-US")).toEqual({
      amount: "Did you mean 100 or 1.00?",
    });
    expect(add({ symbol: "BTCUSDT", amount: "1", avgPrice: "1.000" }, undefined, "de-DE")).toEqual({
      avgPrice: "Did you mean 1000 or 1,000?",
    });
    expect(usePortfolioStore.getState().holdings).toEqual([]);
  });

  it("refuses negative, zero and non-numeric amounts", () => {
    const add = usePortfolioStore.getState().add;
    expect(add({ symbol: "BTCUSDT", amount: "-1", avgPrice: "1" }).amount).toMatch(/negative/);
    expect(add({ symbol: "BTCUSDT", amount: "0", avgPrice: "1" }).amount).toMatch(/more than 0/);
    expect(add({ symbol: "BTCUSDT", amount: "abc", avgPrice: "1" }).amount).toMatch(/numbers like/);
    expect(add({ symbol: "BTCUSDT", amount: "1", avgPrice: "-5" }).avgPrice).toMatch(/negative/);
    expect(
      add({ symbol: "NOPE", amount: "1", avgPrice: "1" }, new Set(["BTCUSDT"])).symbol,
    ).toMatch(/Unknown/);
    expect(usePortfolioStore.getState().holdings).toHaveLength(0);
  });

  it("edits and removes", () => {
    const s = usePortfolioStore.getState();
    s.add({ symbol: "ETHUSDT", amount: "2", avgPrice: "3000" });
    const id = usePortfolioStore.getState().holdings[0]!.id;
    expect(
      usePortfolioStore.getState().update(id, { symbol: "ETHUSDT", amount: "3", avgPrice: "2500" }),
    ).toEqual({});
    expect(usePortfolioStore.getState().holdings[0]).toMatchObject({
      amount: "3",
      avgPrice: "2500",
    });
    usePortfolioStore.getState().remove(id);
    expect(usePortfolioStore.getState().holdings).toEqual([]);
  });

  it("imports by replacing held symbols and adding new ones", () => {
    usePortfolioStore.getState().add({ symbol: "ETHUSDT", amount: "2", avgPrice: "3000" });
    usePortfolioStore.getState().importHoldings([
      { symbol: "ETHUSDT", amount: "5", avgPrice: "2000" },
      { symbol: "SOLUSDT", amount: "10", avgPrice: "150" },
    ]);
    const h = usePortfolioStore.getState().holdings;
    expect(h.map((x) => [x.symbol, x.amount])).toEqual([
      ["ETHUSDT", "5"],
      ["SOLUSDT", "10"],
    ]);
  });

  it("migrates version 1 (numbers, no ids) on load and drops invalid rows", async () => {
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
    const h = usePortfolioStore.getState().holdings;
    expect(h.map((x) => [x.symbol, x.amount, x.avgPrice])).toEqual([
      ["BTCUSDT", "0.25", "50000"],
      ["SHIBUSDT", "1000000", "0.00001234"],
    ]);
    expect(h.every((x) => typeof x.id === "string" && x.id.length > 0)).toBe(true);
    expect(stored().version).toBe(PORTFOLIO_VERSION);
  });
});
