import { Profiler } from "react";
import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { PriceUpdate, SymbolInfo } from "../protocol";
import { EMPTY_ASSETS, readAssets } from "../lib/assets";
import { useClockStore } from "../store/clockStore";
import { useMarketMetaStore } from "../store/marketMetaStore";
import { STALE_AFTER_MS, initialLink, useCryptoStore } from "../store/cryptoStore";
import { MarketRow } from "./MarketRow";

const NOW = 1_700_000_000_000;
const symbols: SymbolInfo[] = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"].map((symbol) => ({
  symbol,
  baseAsset: symbol.replace("USDT", ""),
  quoteAsset: "USDT",
}));

const price = (symbol: string, p: number, at: number): PriceUpdate => ({
  symbol,
  price: String(p),
  priceChangePercent: "1",
  high24h: String(p),
  low24h: String(p),
  volume24h: "10",
  lastUpdateTime: at,
  source: "simulator",
});

const noop = () => undefined;
let renders: Record<string, number> = {};

/** Each row under its own Profiler: the list around them never re-renders, so a commit counted
 * for a symbol is a render of that row. */
function renderRows() {
  render(
    <>
      {symbols.map((info, index) => (
        <Profiler
          key={info.symbol}
          id={info.symbol}
          onRender={(id) => (renders[id] = (renders[id] ?? 0) + 1)}
        >
          <MarketRow
            info={info}
            index={index}
            top={index * 48}
            selected={false}
            starred={false}
            onOpen={noop}
            onStar={noop}
            onSelect={noop}
          />
        </Profiler>
      ))}
    </>,
  );
  renders = {};
}

const staleOf = (symbol: string) =>
  screen.getAllByTestId("market-row").find((r) => r.dataset.symbol === symbol)?.dataset.stale;

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
  useClockStore.setState({ now: NOW });
  useCryptoStore.setState({
    symbols,
    symbolsLoaded: true,
    prices: {},
    clockOffsetMs: 0,
    link: { ...initialLink, state: "connected" },
  });
  useCryptoStore.getState().applyUpdates(
    symbols.map((s, i) => price(s.symbol, 100 + i, NOW)),
    NOW,
  );
});
afterEach(() => vi.useRealTimers());

describe("MarketRow renders", () => {
  it("re-renders only the row whose price changed, however often the server clock moves", () => {
    renderRows();
    const batches = 20;
    for (let i = 1; i <= batches; i++) {
      // Past the row's 100 ms throttle, so every batch of the moving symbol is shown.
      act(() => vi.advanceTimersByTime(150));
      const now = Date.now();
      // Every batch moves the server-clock offset (serverTime - now) by a few ms, as it does live.
      act(() =>
        useCryptoStore.getState().applyUpdates([price("BTCUSDT", 100 + i, now)], now + 7 * i),
      );
    }
    expect(renders.BTCUSDT ?? 0).toBeGreaterThanOrEqual(batches);
    expect(renders.ETHUSDT ?? 0).toBe(0);
    expect(renders.SOLUSDT ?? 0).toBe(0);
    expect(renders.XRPUSDT ?? 0).toBe(0);
  });

  it("re-renders a row on the clock tick only when its stale mark flips", () => {
    renderRows();
    act(() => useClockStore.getState().tick(NOW + STALE_AFTER_MS - 1000));
    expect(renders).toEqual({});
    expect(staleOf("ETHUSDT")).toBe("false");

    act(() => useClockStore.getState().tick(NOW + STALE_AFTER_MS + 1000));
    expect(staleOf("ETHUSDT")).toBe("true");
    for (const { symbol } of symbols) expect(renders[symbol]).toBe(1);

    act(() => useClockStore.getState().tick(NOW + STALE_AFTER_MS + 2000));
    for (const { symbol } of symbols) expect(renders[symbol]).toBe(1);
  });

  it("judges staleness on the server's clock at the next tick", () => {
    renderRows();
    // The server's clock runs 5 s ahead of ours: a price 57 s old locally is 62 s old there.
    act(() => useCryptoStore.getState().applyUpdates([], NOW + 5000, NOW));
    expect(renders).toEqual({});
    act(() => useClockStore.getState().tick(NOW + STALE_AFTER_MS - 3000));
    expect(staleOf("SOLUSDT")).toBe("true");
  });
});

describe("MarketRow of a halted market", () => {
  const rowOf = (symbol: string) =>
    screen.getAllByTestId("market-row").find((r) => r.dataset.symbol === symbol)!;
  const feed = (halted: Record<string, string>) => ({
    status: "connected" as const,
    message: "live",
    timestamp: NOW,
    source: "binance" as const,
    live: true,
    halted,
  });

  it("says trading is halted and shows its last price muted, until it trades again", () => {
    renderRows();
    act(() => useCryptoStore.getState().setFeed(feed({ SOLUSDT: "BREAK" })));
    const sol = rowOf("SOLUSDT");
    expect(sol.dataset.halted).toBe("BREAK");
    expect(sol.querySelector("[data-testid=halted]")?.textContent).toBe("Trading halted (BREAK)");
    const solPrice = sol.querySelector("[data-testid=price]")!;
    expect(solPrice.textContent).toBe("102.00");
    expect(solPrice.className).toContain("text-muted");
    // Only the halted row re-rendered; the others show no mark.
    expect(renders).toEqual({ SOLUSDT: 1 });
    expect(rowOf("BTCUSDT").querySelector("[data-testid=halted]")).toBeNull();

    act(() => useCryptoStore.getState().setFeed(feed({})));
    expect(rowOf("SOLUSDT").dataset.halted).toBe("");
    expect(rowOf("SOLUSDT").querySelector("[data-testid=halted]")).toBeNull();
    expect(rowOf("SOLUSDT").querySelector("[data-testid=price]")!.className).not.toContain(
      "text-muted",
    );
  });
});

describe("MarketRow with coin metadata", () => {
  const meta = (btcName: string) =>
    readAssets({
      assets: [
        { asset: "BTC", name: btcName, rank: 1, sparkline7d: [90, 95, 100] },
        { asset: "ETH", name: "Ethereum", rank: 2, sparkline7d: [1, 2] },
      ],
      updatedAt: NOW,
    });
  afterEach(() => useMarketMetaStore.setState({ assets: EMPTY_ASSETS }));

  it("re-renders only the row whose coin changed when the metadata refreshes", () => {
    act(() => useMarketMetaStore.getState().setAssets(meta("Bitcoin")));
    renderRows();
    act(() => useMarketMetaStore.getState().setAssets(meta("Bitcoin (renamed)")));
    expect(renders).toEqual({ BTCUSDT: 1 });
  });

  it("draws the live price as the sparkline's newest point", () => {
    act(() => useMarketMetaStore.getState().setAssets(meta("Bitcoin")));
    renderRows();
    const path = () =>
      screen
        .getAllByTestId("market-row")
        .find((r) => r.dataset.symbol === "BTCUSDT")
        ?.querySelector("[data-testid=sparkline] path")
        ?.getAttribute("d");
    const before = path();
    act(() => vi.advanceTimersByTime(150));
    act(() =>
      useCryptoStore.getState().applyUpdates([price("BTCUSDT", 80, Date.now())], Date.now()),
    );
    expect(path()).not.toBe(before);
    expect(path()?.split("L")).toHaveLength(4);
  });
});
