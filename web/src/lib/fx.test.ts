import { describe, expect, it } from "vitest";
import { applyConversion, canConvert, conversionOf, convert, readRates } from "./fx";

const rates = readRates({
  base: "USDT",
  timestamp: 10,
  rates: [
    { currency: "EUR", rate: "0.9213", source: "binance:EURUSDT", asOf: 9 },
    { currency: "JPY", rate: "151.37", source: "coingecko", asOf: 8 },
    { currency: "BAD", rate: "-1", source: "x", asOf: 1 },
    { currency: "ZER", rate: "0", source: "x", asOf: 1 },
    { currency: "eur", rate: "1", source: "x", asOf: 1 },
    { currency: "NOW", rate: "1.5", source: "x" },
    "garbage",
  ],
}).byCurrency;

describe("readRates", () => {
  it("offers only currencies with a usable rate", () => {
    expect([...rates.keys()]).toEqual(["EUR", "JPY"]);
    expect(readRates(null).byCurrency.size).toBe(0);
    expect(readRates({ rates: "x" }).timestamp).toBeNull();
  });
});

describe("convert", () => {
  it("multiplies exactly from USDT, where floats would drift", () => {
    expect(convert("86000.12", "USDT", "EUR", rates)).toBe("79231.910556");
    expect(convert("0.1", "USDT", "EUR", rates)).toBe("0.09213");
    expect(convert("3", "USDT", "EUR", rates)).toBe("2.7639");
  });

  it("divides, cut at 18 decimals, from another currency", () => {
    expect(convert("0.9213", "EUR", "USDT", rates)).toBe("1");
    expect(convert("1", "EUR", "USDT", rates)).toBe("1.085422772169760121");
    expect(convert("100", "EUR", "JPY", rates)).toBe("16430.044502333658960164");
  });

  it("returns the value itself in its own currency, null without a rate or a number", () => {
    expect(convert("12.5", "USDT", "USDT", rates)).toBe("12.5");
    expect(convert("12.5", "USDT", "GBP", rates)).toBeNull();
    expect(convert("12.5", "BTC", "EUR", rates)).toBeNull();
    expect(convert("1e5", "USDT", "EUR", rates)).toBeNull();
    expect(canConvert("USDT", "EUR", rates)).toBe(true);
    expect(canConvert("USD", "EUR", rates)).toBe(false);
  });

  it("is a conversion only between two currencies that have rates", () => {
    expect(conversionOf("USDT", "USDT", rates)).toBeNull();
    const c = conversionOf("USDT", "EUR", rates);
    expect(c).toEqual({ from: "USDT", to: "EUR", toRate: "0.9213", fromRate: "1" });
    expect(c && applyConversion("2", c)).toBe("1.8426");
  });
});
