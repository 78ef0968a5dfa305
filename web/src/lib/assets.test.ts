import { describe, expect, it } from "vitest";
import { marketQuery, matchesMarket, readAsset, readAssets } from "./assets";

const btc = {
  asset: "BTC",
  id: "bitcoin",
  name: "Bitcoin",
  logo: "/api/logos/bitcoin",
  rank: 1,
  marketCap: "1700000000000.5",
  change1h: "0.12",
  change7d: "-3.4",
  change30d: null,
  sparkline7d: [1, 2, 3],
};

describe("readAssets", () => {
  it("keeps every readable field of a coin", () => {
    const { byAsset, updatedAt } = readAssets({ assets: [btc], updatedAt: 5, source: "coingecko" });
    expect(updatedAt).toBe(5);
    expect(byAsset.get("BTC")).toEqual({ ...btc, change30d: null });
  });

  it("marks each bad figure unknown and keeps the rest of the coin", () => {
    const a = readAsset({
      asset: "eth",
      id: 7,
      name: "",
      logo: "https://cdn.example.com/eth.png",
      rank: 0,
      marketCap: "-5",
      change1h: "1e3",
      change7d: 2.5,
      sparkline7d: [1, "2", null, Number.NaN, 3],
    });
    expect(a).toEqual({
      asset: "ETH",
      id: null,
      name: null,
      logo: null,
      rank: null,
      marketCap: null,
      change1h: null,
      change7d: null,
      change30d: null,
      sparkline7d: [1, 3],
    });
  });

  it("uses logos from our own logo route only", () => {
    const logo = (l: unknown) => readAsset({ asset: "X", logo: l })?.logo ?? null;
    expect(logo("/api/logos/x-coin.png")).toBe("/api/logos/x-coin.png");
    expect(logo("//evil.example/x.png")).toBeNull();
    expect(logo("/api/logos/../../etc/passwd")).toBeNull();
    expect(logo("data:image/png;base64,AAAA")).toBeNull();
  });

  it("skips entries without a ticker, keeps the first of a duplicate, survives any body", () => {
    const { byAsset } = readAssets({
      assets: [
        null,
        3,
        { name: "No ticker" },
        { asset: "BTC", name: "First" },
        { asset: "BTC", name: "Second" },
      ],
    });
    expect([...byAsset.keys()]).toEqual(["BTC"]);
    expect(byAsset.get("BTC")?.name).toBe("First");
    for (const body of [null, "oops", [], { assets: "no" }, { assets: [{}] }]) {
      expect(readAssets(body).byAsset.size).toBe(0);
    }
  });
});

describe("matchesMarket", () => {
  const market = { symbol: "BTCUSDT", baseAsset: "BTC" };
  const asset = readAsset(btc) ?? undefined;
  const matches = (q: string, a: typeof asset | null = asset) =>
    matchesMarket(marketQuery(q), market, a ?? undefined);

  it("finds a market by its coin's name or id, its ticker, or its pair as typed", () => {
    expect(matches("bitcoin")).toBe(true);
    expect(matches("Bitc")).toBe(true);
    expect(matches("btc")).toBe(true);
    expect(matches("BTC/USDT")).toBe(true);
    expect(matches("btc usdt")).toBe(true);
    expect(matches("ethereum")).toBe(false);
    expect(matches("coin")).toBe(false);
    const wrapped = readAsset({ asset: "WBTC", name: "Wrapped Bitcoin" }) ?? undefined;
    expect(
      matchesMarket(marketQuery("bitcoin"), { symbol: "WBTCUSDT", baseAsset: "WBTC" }, wrapped),
    ).toBe(true);
    const tether = readAsset({ asset: "USDT", name: "Tether" }) ?? undefined;
    expect(
      matchesMarket(marketQuery("eth"), { symbol: "USDTTRY", baseAsset: "USDT" }, tether),
    ).toBe(false);
  });

  it("finds an unknown coin by its symbol only", () => {
    expect(matches("bitcoin", null)).toBe(false);
    expect(matches("btcu", null)).toBe(true);
  });
});
