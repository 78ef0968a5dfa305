import { describe, expect, it } from "vitest";
import { allocationByCoin, valuate } from "./portfolio";

describe("valuate", () => {
  it("computes value, unrealised and realised P&L per position and in total", () => {
    const v = valuate(
      [
        { symbol: "BTCUSDT", amount: "0.5", cost: "30000", realised: "100" },
        { symbol: "ETHUSDT", amount: "2", cost: "6000", realised: "-40.5" },
        { symbol: "NEWUSDT", amount: "1", cost: "1", realised: "0" },
      ],
      ["70000", "2500", null],
    );
    expect(v.rows[0]).toMatchObject({ value: 35000, cost: 30000, pnl: 5000, realised: 100 });
    expect(v.rows[0]?.pnlPct).toBeCloseTo(16.6667, 3);
    expect(v.rows[1]).toMatchObject({
      value: 5000,
      pnl: -1000,
      pnlPct: expect.closeTo(-16.6667, 3),
    });
    expect(v.rows[2]).toMatchObject({ value: null, pnl: null });
    expect(v).toMatchObject({ total: 40000, cost: 36001, pnl: 4000, realised: 59.5, priced: 2 });
    expect(v.pnlPct).toBeCloseTo(11.1111, 3);
  });

  it("sums tiny prices exactly", () => {
    const v = valuate(
      [{ symbol: "SHIBUSDT", amount: "123456789", cost: "1234.56789", realised: "0" }],
      ["0.00001234"],
    );
    expect(v.rows[0]?.value).toBe(1523.45677626);
    expect(v.rows[0]?.pnl).toBeCloseTo(288.89, 2);
  });
});

describe("valuate in another currency", () => {
  it("multiplies every money figure exactly by the rate, percentages unchanged", () => {
    const positions = [{ symbol: "BTCUSDT", amount: "0.3", cost: "20000.1", realised: "0.3" }];
    const usdt = valuate(positions, ["70000.7"]);
    const eur = valuate(positions, ["70000.7"], "0.9213");
    expect(eur.rows[0]?.value).toBe(19347.493473);
    expect(eur.total).toBe(19347.493473);
    // Floats: 20000.1 × 0.9213 = 18426.092129999997.
    expect(eur.cost).toBe(18426.09213);
    expect(eur.realised).toBe(0.27639);
    expect(eur.pnlPct).toBe(usdt.pnlPct);
  });
});

describe("allocationByCoin", () => {
  it("gives one slice per coin, whatever market it was bought in", () => {
    const base = (s: string) => ({ BTCUSDT: "BTC", BTCFDUSD: "BTC", ETHUSDT: "ETH" })[s] ?? s;
    expect(
      allocationByCoin(
        [
          { symbol: "BTCUSDT", value: 100 },
          { symbol: "ETHUSDT", value: 50 },
          { symbol: "BTCFDUSD", value: 25 },
          { symbol: "NEWUSDT", value: null },
        ],
        base,
      ),
    ).toEqual([
      { label: "BTC", value: 125 },
      { label: "ETH", value: 50 },
      { label: "NEWUSDT", value: 0 },
    ]);
  });
});
