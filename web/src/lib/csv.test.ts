import { describe, expect, it } from "vitest";
import { parseCsv, toCsv } from "./csv";

describe("portfolio CSV", () => {
  it("round-trips holdings", () => {
    const rows = [
      { symbol: "BTCUSDT", amount: "0.5", avgPrice: "60000" },
      { symbol: "SHIBUSDT", amount: "1000000", avgPrice: "0.00001234" },
    ];
    const text = toCsv(rows);
    expect(text.split("\n")[0]).toBe("symbol,amount,avgBuyPrice");
    expect(parseCsv(text)).toEqual({ rows, errors: [] });
  });

  it("reports bad lines with their numbers and keeps the good ones", () => {
    const text = "Symbol;Amount;avgBuyPrice\r\nethusdt;2;3000\nBTCUSDT;-1;5\nXRPUSDT;abc;1\n\n";
    const result = parseCsv(text);
    expect(result.rows).toEqual([{ symbol: "ETHUSDT", amount: "2", avgPrice: "3000" }]);
    expect(result.errors).toHaveLength(2);
    expect(result.errors[0]).toMatch(/^line 3: .*negative/);
    expect(result.errors[1]).toMatch(/^line 4: /);
  });

  it("refuses a file without the header", () => {
    expect(parseCsv("BTCUSDT,1,2").errors[0]).toMatch(/header/);
  });
});
