import { beforeEach, describe, expect, it } from "vitest";
import {
  ALERTS_STORAGE_KEY,
  ALERTS_VERSION,
  HISTORY_LIMIT,
  useAlertsStore,
  type FiredAlert,
} from "./alertsStore";

beforeEach(() => {
  localStorage.clear();
  useAlertsStore.setState({ alerts: [], history: [] });
});

const stored = () => JSON.parse(localStorage.getItem(ALERTS_STORAGE_KEY) ?? "null");

describe("alertsStore", () => {
  it("validates before adding", () => {
    const s = useAlertsStore.getState();
    expect(s.add("BTCUSDT", { kind: "above", price: "-1" })).toMatchObject({
      field: "price",
      message: expect.stringMatching(/above 0/),
    });
    expect(s.add("BTCUSDT", { kind: "above", price: "100,000" })?.field).toBe("price");
    expect(s.add("BTCUSDT", { kind: "move", percent: "5", minutes: 0 })?.field).toBe("minutes");
    expect(s.add("", { kind: "above", price: "1" })?.field).toBe("symbol");
    expect(
      s.add("BTCUSDT", { kind: "above", price: "1" }, { kind: "cooldown", minutes: 0 })?.field,
    ).toBe("cooldown");
    expect(useAlertsStore.getState().alerts).toEqual([]);
  });

  it("starts an alert on the side of the current price", () => {
    const s = useAlertsStore.getState();
    s.add("BTCUSDT", { kind: "above", price: "90000" }, undefined, "92000");
    s.add("BTCUSDT", { kind: "above", price: "100000" }, undefined, "92000");
    s.add("BTCUSDT", { kind: "above", price: "100000" });
    expect(useAlertsStore.getState().alerts.map((a) => a.armed)).toEqual([false, true, null]);
    expect(stored()).toMatchObject({ version: ALERTS_VERSION });
  });

  it("keeps the newest firings, at most HISTORY_LIMIT", () => {
    useAlertsStore.getState().add("BTCUSDT", { kind: "above", price: "1" });
    const fire = (at: number): FiredAlert => ({
      alertId: "a",
      symbol: "BTCUSDT",
      rule: "crosses above 1.0000",
      price: String(at),
      at,
      message: "m",
    });
    for (let i = 0; i < HISTORY_LIMIT + 5; i += 2) {
      useAlertsStore.getState().apply([], [fire(i), fire(i + 1)]);
    }
    const history = useAlertsStore.getState().history;
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history[0]?.at).toBe(HISTORY_LIMIT + 5);
    expect(history.at(-1)?.at).toBe(6);
    expect(stored().state.history).toHaveLength(HISTORY_LIMIT);
  });

  it("re-arms a triggered alert to wait for its next crossing", () => {
    useAlertsStore.getState().add("BTCUSDT", { kind: "above", price: "1" });
    const a = useAlertsStore.getState().alerts[0]!;
    useAlertsStore.getState().apply([{ ...a, state: "triggered", armed: false }], []);
    useAlertsStore.getState().rearm(a.id);
    expect(useAlertsStore.getState().alerts[0]).toMatchObject({ state: "active", armed: null });
  });

  it("migrates version 1 alerts without loss, their firings into the history", async () => {
    // As version 1 of the app wrote it.
    const v1 = {
      state: {
        alerts: [
          {
            id: "m1abc-x1y2z3",
            symbol: "BTCUSDT",
            condition: { kind: "above", price: "100000" },
            state: "active",
            createdAt: 1764500000000,
            triggeredAt: null,
            triggeredPrice: null,
            message: null,
          },
          {
            id: "m1abd-q8w7e6",
            symbol: "ETHUSDT",
            condition: { kind: "below", price: "3000" },
            state: "triggered",
            createdAt: 1764500001000,
            triggeredAt: 1764500100000,
            triggeredPrice: "2999.5",
            message: "ETHUSDT is below 3,000.00: 2,999.50",
          },
          {
            id: "m1abe-r5t4y3",
            symbol: "SOLUSDT",
            condition: { kind: "move", percent: "5", minutes: 15 },
            state: "active",
            createdAt: 1764500002000,
            triggeredAt: null,
            triggeredPrice: null,
            message: null,
          },
        ],
      },
      version: 1,
    };
    localStorage.setItem(ALERTS_STORAGE_KEY, JSON.stringify(v1));
    await useAlertsStore.persist.rehydrate();
    const { alerts, history } = useAlertsStore.getState();
    expect(alerts).toEqual(
      v1.state.alerts.map((a) => ({
        ...a,
        rearm: { kind: "once" },
        armed: null,
        currency: "USDT",
      })),
    );
    expect(history).toEqual([
      {
        alertId: "m1abd-q8w7e6",
        symbol: "ETHUSDT",
        rule: "crosses below 3,000.00 USDT",
        price: "2999.5",
        at: 1764500100000,
        message: "ETHUSDT is below 3,000.00: 2,999.50",
      },
    ]);
    expect(stored().version).toBe(ALERTS_VERSION);
  });

  it("migrates version 2 alerts: each threshold's currency made explicit, its market's quote", async () => {
    const base = {
      rearm: { kind: "crossBack" },
      state: "active",
      armed: true,
      createdAt: 1764500000000,
      triggeredAt: null,
      triggeredPrice: null,
      message: null,
    };
    const v2 = {
      state: {
        alerts: [
          { ...base, id: "a1", symbol: "BTCUSDT", condition: { kind: "above", price: "100000" } },
          { ...base, id: "a2", symbol: "ETHBTC", condition: { kind: "below", price: "0.03" } },
          { ...base, id: "a3", symbol: "BTCFDUSD", condition: { kind: "above", price: "1" } },
        ],
        history: [
          {
            alertId: "a0",
            symbol: "BTCUSDT",
            rule: "crosses above 1.0000",
            price: "2",
            at: 5,
            message: "m",
          },
        ],
      },
      version: 2,
    };
    localStorage.setItem(ALERTS_STORAGE_KEY, JSON.stringify(v2));
    await useAlertsStore.persist.rehydrate();
    const { alerts, history } = useAlertsStore.getState();
    expect(alerts.map((a) => [a.id, a.currency])).toEqual([
      ["a1", "USDT"],
      ["a2", "BTC"],
      ["a3", "FDUSD"],
    ]);
    expect(alerts[0]).toEqual({ ...v2.state.alerts[0], currency: "USDT" });
    expect(history).toEqual(v2.state.history);
    expect(stored().version).toBe(3);
    expect(stored().state.alerts[1].currency).toBe("BTC");
  });

  it("records a new alert's threshold in the currency it was given, else its market's quote", () => {
    const s = useAlertsStore.getState();
    s.add("ETHBTC", { kind: "above", price: "0.05" });
    s.add("BTCEUR", { kind: "above", price: "80000" }, undefined, undefined, "EUR");
    expect(useAlertsStore.getState().alerts.map((a) => a.currency)).toEqual(["BTC", "EUR"]);
  });
});
