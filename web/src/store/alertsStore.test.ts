import { beforeEach, describe, expect, it } from "vitest";
import { ALERTS_STORAGE_KEY, useAlertsStore } from "./alertsStore";
import { PriceHistory, describeCondition, evaluate } from "../lib/alerts";

beforeEach(() => {
  localStorage.clear();
  useAlertsStore.setState({ alerts: [] });
});

describe("alertsStore", () => {
  it("validates, adds, triggers, re-arms and persists", () => {
    const s = useAlertsStore.getState();
    expect(s.add("BTCUSDT", { kind: "above", price: "-1" })).toMatchObject({
      field: "price",
      message: expect.stringMatching(/above 0/),
    });
    expect(s.add("BTCUSDT", { kind: "above", price: "100,000" })?.field).toBe("price");
    expect(s.add("BTCUSDT", { kind: "move", percent: "5", minutes: 0 })).toMatchObject({
      field: "minutes",
    });
    expect(s.add("", { kind: "above", price: "1" })?.field).toBe("symbol");
    expect(s.add("BTCUSDT", { kind: "above", price: "100000" })).toBeNull();
    const id = useAlertsStore.getState().alerts[0]!.id;
    useAlertsStore.getState().markTriggered(id, "100001", 42, "fired");
    expect(useAlertsStore.getState().alerts[0]).toMatchObject({
      state: "triggered",
      triggeredPrice: "100001",
    });
    const saved = JSON.parse(localStorage.getItem(ALERTS_STORAGE_KEY) ?? "{}");
    expect(saved.state.alerts[0].state).toBe("triggered");
    useAlertsStore.getState().rearm(id);
    expect(useAlertsStore.getState().alerts[0]?.state).toBe("active");
  });
});

describe("alert evaluation", () => {
  const base = {
    id: "a",
    symbol: "BTCUSDT",
    state: "active" as const,
    createdAt: 0,
    triggeredAt: null,
    triggeredPrice: null,
    message: null,
  };

  it("fires above and below thresholds", () => {
    const h = new PriceHistory();
    const above = { ...base, condition: { kind: "above" as const, price: "100000" } };
    const below = { ...base, condition: { kind: "below" as const, price: "90000" } };
    expect(evaluate(above, "99999.99", 0, h, "en-US")).toBeNull();
    expect(evaluate(above, "100000.01", 0, h, "en-US")).toMatch(/above 100,000.00/);
    expect(evaluate(below, "90000.5", 0, h, "en-US")).toBeNull();
    expect(evaluate(below, "89999", 0, h, "en-US")).toMatch(/below/);
    expect(evaluate({ ...above, state: "triggered" }, "200000", 0, h)).toBeNull();
    const exact = { ...base, condition: { kind: "above" as const, price: "0.100000000000000001" } };
    expect(evaluate(exact, "0.1", 0, h)).toBeNull();
    expect(evaluate(exact, "0.100000000000000001", 0, h)).not.toBeNull();
  });

  it("describes conditions in the locale", () => {
    expect(describeCondition({ kind: "above", price: "1000.5" }, "de-DE")).toBe("above 1.000,50");
    expect(describeCondition({ kind: "move", percent: "2.5", minutes: 5 }, "de-DE")).toBe(
      "moves ±2,5% within 5 min",
    );
  });

  it("fires on a move of N % within M minutes, not on a slower one", () => {
    const h = new PriceHistory();
    const alert = { ...base, condition: { kind: "move" as const, percent: "5", minutes: 10 } };
    h.push("BTCUSDT", 0, 100);
    h.push("BTCUSDT", 60_000, 103);
    expect(evaluate(alert, "103", 60_000, h)).toBeNull();
    // 11 minutes later the 100 sample has left the 10-minute window: 103 -> 106 is under 5 %.
    h.push("BTCUSDT", 11 * 60_000, 106);
    expect(evaluate(alert, "106", 11 * 60_000, h)).toBeNull();
    h.push("BTCUSDT", 12 * 60_000, 97);
    expect(evaluate(alert, "97", 12 * 60_000, h, "en-US")).toMatch(/-8\.49%/);
  });
});
