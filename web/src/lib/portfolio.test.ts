import { describe, expect, it } from "vitest";
import { valuate } from "./portfolio";

describe("valuate", () => {
  it("computes value and P&L per holding and in total", () => {
    const v = valuate(
      [
        { symbol: "BTCUSDT", amount: "0.5", avgPrice: "60000" },
        { symbol: "ETHUSDT", amount: "2", avgPrice: "3000" },
        { symbol: "NEWUSDT", amount: "1", avgPrice: "1" },
      ],
      ["70000", "2500", null],
    );
    expect(v.rows[0]).toMatchObject({ value: 35000, cost: 30000, pnl: 5000 });
    expect(v.rows[0]?.pnlPct).toBeCloseTo(16.6667, 3);
    expect(v.rows[1]).toMatchObject({
      value: 5000,
      pnl: -1000,
      pnlPct: expect.closeTo(-16.6667, 3),
    });
    expect(v.rows[2]).toMatchObject({ value: null, pnl: null });
    expect(v).toMatchObject({ total: 40000, cost: 36001, pnl: 4000, priced: 2 });
    expect(v.pnlPct).toBeCloseTo(11.1111, 3);
  });

  it("sums tiny prices exactly", () => {
    const v = valuate(
      [{ symbol: "SHIBUSDT", amount: "123456789", avgPrice: "0.00001" }],
      ["0.00001234"],
    );
    expect(v.rows[0]?.value).toBe(1523.45677626);
    expect(v.rows[0]?.pnl).toBeCloseTo(288.89, 2);
  });
});
