import { describe, expect, it } from "vitest";
import { parseCsv, toCsv, type CsvLot } from "./csv";
import type { Lot } from "./lots";

const NOW = Date.UTC(2026, 10, 30, 12, 0);
const at = (iso: string) => Date.parse(iso);

const lots: Lot[] = [
  {
    id: "b",
    symbol: "BTCUSDT",
    side: "buy",
    amount: "0.25",
    price: "90000",
    fee: "4.5",
    at: at("2026-02-01T10:00:00.000Z"),
  },
  {
    id: "a",
    symbol: "BTCUSDT",
    side: "buy",
    amount: "0.5",
    price: "60000",
    fee: "0",
    at: at("2026-01-15T09:30:00.000Z"),
  },
  {
    id: "c",
    symbol: "BTCUSDT",
    side: "sell",
    amount: "0.1",
    price: "100000.5",
    fee: "1.25",
    at: at("2026-03-01T00:00:00.000Z"),
  },
  {
    id: "d",
    symbol: "SHIBUSDT",
    side: "buy",
    amount: "1000000",
    price: "0.00001234",
    fee: "0",
    at: at("2026-03-02T00:00:00.000Z"),
  },
];
const fields = (l: Lot): CsvLot => {
  const { symbol, side, amount, price, fee, at } = l;
  return { symbol, side, amount, price, fee, at };
};

describe("portfolio CSV", () => {
  it("round-trips lots, oldest first, with side, fee and date", () => {
    const text = toCsv(lots);
    expect(text.split("\n").slice(0, 2)).toEqual([
      "symbol,side,amount,price,fee,date",
      "BTCUSDT,buy,0.5,60000,0,2026-01-15T09:30:00.000Z",
    ]);
    const sorted = [lots[1]!, lots[0]!, lots[2]!, lots[3]!].map(fields);
    expect(parseCsv(text, undefined, "en-US")).toEqual({ rows: sorted, errors: [] });
    // Plain decimals in the file: the same in a comma-decimal locale.
    expect(parseCsv(text, undefined, "de-DE")).toEqual({ rows: sorted, errors: [] });
  });

  it("reads the older symbol,amount,avgBuyPrice files as buys without fee", () => {
    const text = "Symbol;Amount;avgBuyPrice\r\nethusdt;2;3000\nBTCUSDT;-1;5\nXRPUSDT;abc;1\n\n";
    const result = parseCsv(text, undefined, "en-US", NOW);
    expect(result.rows).toEqual([
      { symbol: "ETHUSDT", side: "buy", amount: "2", price: "3000", fee: "0", at: NOW },
    ]);
    expect(result.errors).toHaveLength(2);
    expect(result.errors[0]).toMatch(/^line 3: .*negative/);
    expect(result.errors[1]).toMatch(/^line 4: /);
  });

  it("reads thousands separators in the user's locale", () => {
    const text = 'symbol,amount,avgBuyPrice\nBTCUSDT,"1,000","60,000.5"\nETHUSDT,1 000,0.5\n';
    expect(parseCsv(text, undefined, "en-US", NOW).rows.map((r) => [r.amount, r.price])).toEqual([
      ["1000", "60000.5"],
      ["1000", "0.5"],
    ]);
    const de =
      "symbol;side;amount;price;fee\nBTCUSDT;buy;1.000,5;60.000;2,5\nETHUSDT;buy;2;3.000,25;\n";
    expect(
      parseCsv(de, undefined, "de-DE", NOW).rows.map((r) => [r.amount, r.price, r.fee]),
    ).toEqual([
      ["1000.5", "60000", "2.5"],
      ["2", "3000.25", "0"],
    ]);
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

  it("refuses a sell of more than the file's earlier lines hold, and a bad date", () => {
    const text =
      "symbol,side,amount,price,fee,date\n" +
      "BTCUSDT,buy,1,100,0,2026-01-01T00:00:00Z\n" +
      "BTCUSDT,sell,2,100,0,2026-01-02T00:00:00Z\n" +
      "BTCUSDT,sell,1,100,0,yesterday\n" +
      "BTCUSDT,hold,1,100,0,2026-01-03T00:00:00Z\n";
    const result = parseCsv(text, undefined, "en-US");
    expect(result.rows.map((r) => r.side)).toEqual(["buy"]);
    expect(result.errors).toEqual([
      "line 3: sells more BTCUSDT than the lines before it hold",
      'line 4: date "yesterday": write dates like 2026-11-30T14:00:00Z',
      'line 5: side "hold": Choose buy or sell',
    ]);
  });

  it("refuses a file without the header", () => {
    expect(parseCsv("BTCUSDT,1,2").errors[0]).toMatch(/header/);
  });
});
