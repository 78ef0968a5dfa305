import { describe, expect, it } from "vitest";
import { readRates } from "./fx";
import { bestPerCoin, quoteInUsdt, volumeInUsdt } from "./bestMarket";

const m = (base: string, quote: string) => ({
  symbol: base + quote,
  baseAsset: base,
  quoteAsset: quote,
});
const p = (price: string, volume24h: string) => ({ price, volume24h });
const prices = {
  BTCUSDT: p("90000", "1000000"),
  BTCEUR: p("83000", "900000"),
  ETHBTC: p("0.035", "50"),
  ETHUSDT: p("3100", "100000"),
  ETHEUR: p("2850", "10"),
};
const rates = readRates({
  rates: [{ currency: "EUR", rate: "0.9", source: "t", asOf: 1 }],
}).byCurrency;

describe("volumes across quotes", () => {
  it("values a quote by its USDT market, else by its currency rate", () => {
    expect(quoteInUsdt("USDT", prices, rates)).toBe(1);
    expect(quoteInUsdt("BTC", prices, rates)).toBe(90000);
    expect(quoteInUsdt("EUR", prices, rates)).toBeCloseTo(1.111, 3);
    expect(quoteInUsdt("TRY", prices, rates)).toBeNaN();
    expect(volumeInUsdt(m("ETH", "BTC"), prices, rates)).toBe(50 * 90000);
  });

  it("keeps each coin's busiest market, in the coins' order", () => {
    const markets = [
      m("ETH", "USDT"),
      m("BTC", "EUR"),
      m("ETH", "BTC"),
      m("BTC", "USDT"),
      m("X", "TRY"),
    ];
    const best = bestPerCoin(markets, (x) => volumeInUsdt(x, prices, rates));
    expect(best.map((x) => x.symbol)).toEqual(["ETHBTC", "BTCEUR", "XTRY"]);
  });
});
