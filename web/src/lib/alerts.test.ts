import { describe, expect, it } from "vitest";
import type { CandleData } from "../protocol";
import {
  alreadyTrueNote,
  describeCondition,
  observe,
  step,
  windowMove,
  type Alert,
  type AlertCondition,
  type RearmRule,
} from "./alerts";
import { candleQuery } from "./alertWindows";

const MIN = 60_000;

function alert(condition: AlertCondition, rearm: RearmRule = { kind: "once" }): Alert {
  return {
    id: "a",
    symbol: "BTCUSDT",
    condition,
    currency: "USDT",
    rearm,
    state: "active",
    armed: null,
    createdAt: 0,
    triggeredAt: null,
    triggeredPrice: null,
    message: null,
  };
}

/** Feeds prices (one a minute) through the alert; returns the minutes at which it fired. */
function run(a: Alert, prices: string[], candles?: CandleData[]): { fired: number[]; last: Alert } {
  const fired: number[] = [];
  let cur = a;
  prices.forEach((price, i) => {
    const seen = observe(cur, price, i * MIN, candles, "en-US");
    if (!seen) return;
    const next = step(cur, seen, i * MIN, price);
    if (next.fired) fired.push(i);
    cur = next.alert;
  });
  return { fired, last: cur };
}

function candle(minute: number, low: string, high: string): CandleData {
  return {
    symbol: "BTCUSDT",
    interval: "1m",
    openTime: minute * MIN,
    closeTime: (minute + 1) * MIN - 1,
    open: low,
    high,
    low,
    close: high,
    volume: "1",
    closed: true,
    source: "binance",
  };
}

describe("crossing alerts", () => {
  it("fire on the transition, not at the first price", () => {
    const above = alert({ kind: "above", price: "90000" });
    expect(run(above, ["89000", "89999.99", "90000", "91000"]).fired).toEqual([2]);
    const below = alert({ kind: "below", price: "90000" });
    expect(run(below, ["91000", "90000.01", "89000"]).fired).toEqual([2]);
  });

  it("do not fire when already true at the first price, only after crossing back", () => {
    const above = alert({ kind: "above", price: "90000" });
    expect(run(above, ["92000", "93000", "94000"]).fired).toEqual([]);
    expect(run(above, ["92000", "89000", "90500"]).fired).toEqual([2]);
  });

  it("compare as exact decimals", () => {
    const a = alert({ kind: "above", price: "0.100000000000000001" });
    expect(run(a, ["0.1", "0.1"]).fired).toEqual([]);
    expect(run(a, ["0.1", "0.100000000000000001"]).fired).toEqual([1]);
  });

  it("the form's note says an already-true alert waits for the crossing", () => {
    const c: AlertCondition = { kind: "above", price: "90000" };
    expect(alreadyTrueNote("BTCUSDT", c, "92961.5", "en-US")).toBe(
      "BTCUSDT is already above 90,000.00 — this fires when it crosses back above",
    );
    expect(alreadyTrueNote("BTCUSDT", c, "89000", "en-US")).toBeNull();
    expect(alreadyTrueNote("BTCUSDT", c, undefined)).toBeNull();
    expect(
      alreadyTrueNote("BTCUSDT", { kind: "below", price: "100000" }, "92961.5", "en-US"),
    ).toMatch(/already below 100,000.00/);
  });

  it("describe themselves as crossings, in the locale", () => {
    expect(describeCondition({ kind: "above", price: "1000.5" }, "de-DE")).toBe(
      "crosses above 1.000,50",
    );
    expect(describeCondition({ kind: "move", percent: "2.5", minutes: 5 }, "de-DE")).toBe(
      "moves ±2,5% within 5 min",
    );
  });
});

describe("re-arm rules", () => {
  const swing = ["89000", "91000", "89000", "91000", "89000", "91000"];

  it("once: fires the first crossing and then waits to be re-armed", () => {
    const { fired, last } = run(alert({ kind: "above", price: "90000" }), swing);
    expect(fired).toEqual([1]);
    expect(last).toMatchObject({ state: "triggered", triggeredAt: MIN, triggeredPrice: "91000" });
  });

  it("crossBack: fires on every crossing, never twice without crossing back", () => {
    const a = alert({ kind: "above", price: "90000" }, { kind: "crossBack" });
    expect(run(a, swing).fired).toEqual([1, 3, 5]);
    expect(run(a, ["89000", "91000", "92000", "93000"]).fired).toEqual([1]);
  });

  it("cooldown: a crossing within the cooldown of the last firing passes silently", () => {
    const a = alert({ kind: "above", price: "90000" }, { kind: "cooldown", minutes: 3 });
    // Crossings at minutes 1, 3 and 5: 3 is 2 min after 1 (silent), 5 is 4 min after 1.
    expect(run(a, swing).fired).toEqual([1, 5]);
  });
});

describe("move within a window", () => {
  const candles = [candle(0, "100", "101"), candle(30, "98", "99"), candle(55, "102", "104")];
  const move = { kind: "move" as const, percent: "5", minutes: 60 };

  it("measures from the server's candles, up from the low and down from the high", () => {
    expect(windowMove(candles, "103", 60 * MIN, 60)).toEqual({
      pct: expect.closeTo(5.102, 3),
      from: "98",
    });
    expect(windowMove(candles, "98.8", 60 * MIN, 60)).toEqual({
      pct: expect.closeTo(-5, 6),
      from: "104",
    });
    // A 20-minute window at minute 70 no longer reaches back to the 98 low.
    expect(windowMove(candles, "103", 70 * MIN, 20)?.from).toBe("102");
    expect(windowMove([], "103", 60 * MIN, 60)).toBeNull();
  });

  it("fires when the move turns past the percent, not while it already was", () => {
    const a = alert(move, { kind: "crossBack" });
    const at = (price: string, minute: number, cur: Alert) =>
      step(cur, observe(cur, price, minute * MIN, candles, "en-US")!, minute * MIN, price);
    let s = at("100", 60, a);
    expect(s.fired).toBeNull();
    s = at("103", 60, s.alert);
    expect(s.fired).toBe("BTCUSDT moved +5.10% within 60 min: 98.00 → 103.00");
    expect(at("103.5", 60, s.alert).fired).toBeNull();
    // Already moved 5 % when first seen: waits for the move to fall back.
    expect(at("103", 60, a).fired).toBeNull();
  });

  it("waits for candles rather than judging without them", () => {
    expect(observe(alert(move), "103", 0, undefined)).toBeNull();
  });

  it("asks for the finest candles that cover the window in one request", () => {
    expect(candleQuery(60)).toEqual({ interval: "1m", limit: 61 });
    expect(candleQuery(1440)).toEqual({ interval: "5m", limit: 289 });
  });
});
