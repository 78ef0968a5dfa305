import { beforeEach, describe, expect, it } from "vitest";
import { WATCHLIST_STORAGE_KEY, useWatchlistStore } from "./watchlistStore";

beforeEach(() => {
  localStorage.clear();
  useWatchlistStore.setState({ symbols: [] });
});

describe("watchlistStore", () => {
  it("stars and unstars, keeping order, and persists", () => {
    const { toggle } = useWatchlistStore.getState();
    toggle("BTCUSDT");
    toggle("ETHUSDT");
    toggle("SOLUSDT");
    toggle("ETHUSDT");
    expect(useWatchlistStore.getState().symbols).toEqual(["BTCUSDT", "SOLUSDT"]);
    const saved = JSON.parse(localStorage.getItem(WATCHLIST_STORAGE_KEY) ?? "{}");
    expect(saved.state.symbols).toEqual(["BTCUSDT", "SOLUSDT"]);
  });

  it("restores from storage and cleans a damaged older entry", async () => {
    localStorage.setItem(
      WATCHLIST_STORAGE_KEY,
      JSON.stringify({ version: 1, state: { symbols: ["XRPUSDT"] } }),
    );
    await useWatchlistStore.persist.rehydrate();
    expect(useWatchlistStore.getState().symbols).toEqual(["XRPUSDT"]);
    localStorage.setItem(
      WATCHLIST_STORAGE_KEY,
      JSON.stringify({ version: 0, state: { symbols: ["A1", 3, null] } }),
    );
    await useWatchlistStore.persist.rehydrate();
    expect(useWatchlistStore.getState().symbols).toEqual(["A1"]);
  });
});
