import { describe, expect, it } from "vitest";
import { firstOversold, rollUp, type Lot, type Side } from "./lots";

let n = 0;
function lot(symbol: string, side: Side, amount: string, price: string, fee = "0"): Lot {
  n += 1;
  return { id: `l${n}`, symbol, side, amount, price, fee, at: n };
}

describe("rollUp", () => {
  it("rolls several buys of one coin into one position at the weighted average cost", () => {
    const positions = rollUp([
      lot("BTCUSDT", "buy", "0.5", "60000"),
      lot("ETHUSDT", "buy", "2", "3000"),
      lot("BTCUSDT", "buy", "0.25", "90000"),
    ]);
    expect(positions.map((p) => p.symbol)).toEqual(["BTCUSDT", "ETHUSDT"]);
    expect(positions[0]).toMatchObject({
      amount: "0.75",
      cost: "52500",
      avgCost: "70000",
      realised: "0",
    });
    expect(positions[0]?.lots.map((l) => l.amount)).toEqual(["0.5", "0.25"]);
  });

  it("adds buy fees to the cost and takes sell fees from the proceeds (average cost)", () => {
    const [btc] = rollUp([
      lot("BTCUSDT", "buy", "0.5", "60000", "10"),
      lot("BTCUSDT", "buy", "0.25", "90000", "5"),
      lot("BTCUSDT", "sell", "0.25", "100000", "20"),
    ]);
    // Cost 52,515 for 0.75; the sell takes a third of it (17,505) against 25,000 − 20.
    expect(btc).toMatchObject({
      amount: "0.5",
      cost: "35010",
      avgCost: "70020",
      realised: "7475",
      fees: "35",
    });
  });

  it("applies lots by time, not by the order they were entered", () => {
    const sell = { ...lot("BTCUSDT", "sell", "1", "120"), at: 20 };
    const buy = { ...lot("BTCUSDT", "buy", "1", "100"), at: 10 };
    expect(rollUp([sell, buy])[0]).toMatchObject({ amount: "0", realised: "20", avgCost: null });
  });

  it("leaves no rounding remainder once everything is sold", () => {
    const [p] = rollUp([
      lot("XUSDT", "buy", "1", "100"),
      lot("XUSDT", "buy", "2", "200"),
      lot("XUSDT", "sell", "1", "200"),
      lot("XUSDT", "sell", "2", "150"),
    ]);
    // The average (166.66…) does not terminate, but 500 in and 500 out realises exactly 0.
    expect(p).toMatchObject({ amount: "0", cost: "0", realised: "0" });
  });

  it("finds a sell of more than is held at its time", () => {
    const lots = [lot("BTCUSDT", "buy", "1", "1"), lot("BTCUSDT", "sell", "1.5", "1")];
    expect(firstOversold(lots, "BTCUSDT")?.id).toBe(lots[1]!.id);
    expect(firstOversold(lots.slice(0, 1), "BTCUSDT")).toBeNull();
  });
});
