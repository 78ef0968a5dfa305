import { describe, expect, it } from "vitest";
import {
  axisPriceFormatter,
  formatAge,
  formatOhlc,
  formatAmount,
  formatCompact,
  formatMoney,
  formatPercent,
  formatPrice,
  signOf,
} from "./format";

describe("formatPrice", () => {
  it("uses precision by magnitude", () => {
    expect(formatPrice("98765.43210000", "en-US")).toBe("98,765.43");
    expect(formatPrice("3456.7", "en-US")).toBe("3,456.70");
    expect(formatPrice("12.345678", "en-US")).toBe("12.35");
    expect(formatPrice("1.5", "en-US")).toBe("1.5000");
    expect(formatPrice("2.433", "en-US")).toBe("2.4330");
    expect(formatPrice("0.51234567", "en-US")).toBe("0.5123");
    expect(formatPrice("0.00001234", "en-US")).toBe("0.00001234");
    // Trailing zeros stay: a column of ticking prices keeps its width.
    expect(formatPrice("0.0000121", "en-US")).toBe("0.00001210");
    expect(formatPrice("0", "en-US")).toBe("0.00");
  });

  it("follows the locale", () => {
    expect(formatPrice("98765.43", "de-DE")).toBe("98.765,43");
    expect(formatPrice("0.5", "fr-FR")).toBe("0,5000");
  });

  it("shows a dash for nonsense", () => {
    expect(formatPrice("abc", "en-US")).toBe("—");
  });
});

describe("other formatters", () => {
  it("signs percentages", () => {
    expect(formatPercent("2.345", "en-US")).toBe("+2.35%");
    expect(formatPercent("-1.2", "en-US")).toBe("-1.20%");
    expect(formatPercent("0.000", "en-US")).toBe("0.00%");
  });

  it("compacts volumes", () => {
    expect(formatCompact("98765432101.12345678", "en-US")).toBe("98.77B");
    expect(formatCompact("1234567", "en-US")).toBe("1.23M");
    expect(formatCompact(1_400_000, "en-US")).toBe("1.40M");
    expect(formatCompact("512.5", "en-US")).toBe("512.50");
  });

  it("formats money, amounts and ages", () => {
    expect(formatMoney(1234.5, "en-US")).toBe("1,234.50");
    expect(formatMoney(-12.3, "en-US", true)).toBe("-12.30");
    expect(formatMoney(12.3, "en-US", true)).toBe("+12.30");
    expect(formatAmount("0.12345678", "en-US")).toBe("0.12345678");
    expect(formatAge(400)).toBe("0.4 s");
    expect(formatAge(42_000)).toBe("42 s");
    expect(formatAge(5 * 60_000)).toBe("5 min");
    expect(formatAge(3 * 3_600_000)).toBe("3 h");
  });

  it("reads the sign of a decimal string", () => {
    expect(signOf("-0.5")).toBe(-1);
    expect(signOf("-0.000")).toBe(0);
    expect(signOf("0")).toBe(0);
    expect(signOf("12")).toBe(1);
  });
});

describe("axisPriceFormatter", () => {
  it("groups thousands with one precision for the whole axis, in the user's locale", () => {
    expect(axisPriceFormatter(2, "en-US")(93409.5)).toBe("93,409.50");
    expect(axisPriceFormatter(2, "de-DE")(93409.5)).toBe("93.409,50");
    expect(axisPriceFormatter(8, "en-US")(0.00001225)).toBe("0.00001225");
    expect(axisPriceFormatter(2, "en-US")(Number.NaN)).toBe("—");
  });
});

describe("formatOhlc", () => {
  it("reads out a candle with the axis's formatting", () => {
    const fmt = axisPriceFormatter(2, "en-US");
    expect(formatOhlc({ open: 93000, high: 93500.5, low: 92950, close: 93409.52 }, fmt)).toBe(
      "O 93,000.00 H 93,500.50 L 92,950.00 C 93,409.52",
    );
  });
});
