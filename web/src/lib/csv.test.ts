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

  it("reads thousands separators in the user's locale", () => {
    const text = 'symbol,amount,avgBuyPrice\nBTCUSDT,"1,000","60,000.5"\nETHUSDT,1 000,0.5\n';
    expect(parseCsv(text, undefined, "en-US")).toEqual({
      rows: [
        { symbol: "BTCUSDT", amount: "1000", avgPrice: "60000.5" },
        { symbol: "ETHUSDT", amount: "1000", avgPrice: "0.5" },
      ],
      errors: [],
    });
    const de = "symbol;amount;avgBuyPrice\nBTCUSDT;1.000,5;60.000\nETHUSDT;2;3.000,25\n";
    expect(parseCsv(de, undefined, "de-DE").rows).toEqual([
      { symbol: "BTCUSDT", amount: "1000.5", avgPrice: "60000" },
      { symbol: "ETHUSDT", amount: "2", avgPrice: "3000.25" },
    ]);
  });

  it("reads its own export back in a comma-decimal locale", () => {
    const rows = [
      { symbol: "BTCUSDT", amount: "1.234", avgPrice: "60000.5" },
      { symbol: "ETHUSDT", amount: "2", avgPrice: "3000.125" },
    ];
    expect(parseCsv(toCsv(rows), undefined, "de-DE")).toEqual({ rows, errors: [] });
  });

  it("refuses cells that read two ways when the file does not say which", () => {
    const en = parseCsv('symbol,amount,avgBuyPrice\nBTCUSDT,"1,00",5\n', undefined, "en-US");
    expect(en.errors).toEqual(['line 2: amount "1,00": Did you mean 100 or 1.00?']);
    const de = parseCsv("symbol;amount;avgBuyPrice\nBTCUSDT;1.234;60000\n", undefined, "de-DE");
    expect(de).toEqual({
      rows: [],
      errors: ['line 2: amount "1.234": Did you mean 1234 or 1,234?'],
    });
  });

  it("refuses a file without the header", () => {
    expect(parseCsv("BTCUSDT,1,2").errors[0]).toMatch(/header/);
  });
});
