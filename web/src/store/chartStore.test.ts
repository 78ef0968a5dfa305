import { describe, expect, it } from "vitest";
import { useChartStore } from "./chartStore";

describe("chartStore", () => {
  it("keeps the chosen interval across a reload", async () => {
    useChartStore.getState().setInterval("4h");
    const saved = localStorage.getItem("cryptotracker-chart") ?? "";
    expect(JSON.parse(saved)).toEqual({ state: { interval: "4h" }, version: 1 });
    // A new page: the store starts at its default, the browser still has the saved choice.
    useChartStore.setState({ interval: "1m" });
    localStorage.setItem("cryptotracker-chart", saved);
    await useChartStore.persist.rehydrate();
    expect(useChartStore.getState().interval).toBe("4h");
  });

  it("ignores a saved interval it does not offer", async () => {
    useChartStore.setState({ interval: "5m" });
    localStorage.setItem(
      "cryptotracker-chart",
      JSON.stringify({ state: { interval: "3w" }, version: 1 }),
    );
    await useChartStore.persist.rehydrate();
    expect(useChartStore.getState().interval).toBe("5m");
  });
});
