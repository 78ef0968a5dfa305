import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render as renderBare, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { act } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { useAlertsStore } from "../store/alertsStore";
import { useCryptoStore } from "../store/cryptoStore";
import { useToastStore } from "../store/toastStore";
import { useAlertsEngine } from "./useAlertsEngine";
import type { FetchCandles } from "../lib/alertWindows";

const setSymbols = vi.fn();
vi.mock("../lib/market", () => ({ marketClient: () => ({ setSymbols }) }));

/** The engine keeps its candle windows in the page's query cache: each test gets a fresh one. */
const render = (ui: ReactNode) =>
  renderBare(<QueryClientProvider client={new QueryClient()}>{ui}</QueryClientProvider>);

function Engine() {
  useAlertsEngine();
  return null;
}

const update = (price: string, t: number) => ({
  symbol: "BTCUSDT",
  price,
  priceChangePercent: "0",
  high24h: price,
  low24h: price,
  volume24h: "1",
  lastUpdateTime: t,
  source: "binance" as const,
});

beforeEach(() => {
  localStorage.clear();
  useAlertsStore.setState({ alerts: [], history: [] });
  useToastStore.setState({ toasts: [] });
  useCryptoStore.setState({ prices: {} });
  setSymbols.mockClear();
});

describe("useAlertsEngine", () => {
  it("keeps alert symbols subscribed and fires once, with a toast, when the price crosses", () => {
    useAlertsStore.getState().add("BTCUSDT", { kind: "above", price: "100000" });
    render(<Engine />);
    expect(setSymbols).toHaveBeenCalledWith("alerts", ["BTCUSDT"]);

    act(() => useCryptoStore.getState().applyUpdates([update("99999", 1)], 1));
    expect(useAlertsStore.getState().alerts[0]).toMatchObject({ state: "active", armed: true });

    act(() => useCryptoStore.getState().applyUpdates([update("100050", 2)], 2));
    const alert = useAlertsStore.getState().alerts[0];
    expect(alert?.state).toBe("triggered");
    expect(alert?.triggeredPrice).toBe("100050");
    expect(useToastStore.getState().toasts).toHaveLength(1);
    expect(useToastStore.getState().toasts[0]?.body).toMatch(/crossed above/);
    expect(useAlertsStore.getState().history).toMatchObject([
      { symbol: "BTCUSDT", price: "100050", rule: "crosses above 100,000.00 USDT" },
    ]);

    act(() => useCryptoStore.getState().applyUpdates([update("100100", 3)], 3));
    expect(useToastStore.getState().toasts).toHaveLength(1);
    // A triggered alert no longer needs its symbol live.
    expect(setSymbols).toHaveBeenLastCalledWith("alerts", []);
  });

  it("does not fire an alert that is already true at the first price", () => {
    useAlertsStore.getState().add("BTCUSDT", { kind: "above", price: "90000" });
    render(<Engine />);
    act(() => useCryptoStore.getState().applyUpdates([update("92000", 1)], 1));
    act(() => useCryptoStore.getState().applyUpdates([update("93000", 2)], 2));
    expect(useAlertsStore.getState().alerts[0]).toMatchObject({ state: "active", armed: false });
    expect(useToastStore.getState().toasts).toEqual([]);
  });

  it("judges a move alert against the candles the server returns for its window", async () => {
    const now = Date.now();
    const candle = {
      symbol: "BTCUSDT",
      interval: "1m" as const,
      openTime: now - 30 * 60_000,
      closeTime: now - 29 * 60_000 - 1,
      open: "95000",
      high: "95000",
      low: "95000",
      close: "95000",
      volume: "1",
      closed: true,
      source: "binance" as const,
    };
    const fetchCandles = vi.fn(async () => ({
      symbol: "BTCUSDT",
      interval: "1m" as const,
      candles: [candle],
    }));
    useAlertsStore
      .getState()
      .add("BTCUSDT", { kind: "move", percent: "5", minutes: 60 }, { kind: "crossBack" });
    render(<MoveEngine fetchCandles={fetchCandles} />);
    // The first price starts the fetch; its answer is judged against that price: +1 %, armed.
    act(() => useCryptoStore.getState().applyUpdates([update("95950", now)], now));
    await waitFor(() => expect(useAlertsStore.getState().alerts[0]?.armed).toBe(true));
    expect(fetchCandles).toHaveBeenCalledWith("BTCUSDT", "1m", 61, expect.any(AbortSignal));
    // 95,000 → 99,750 is +5 %: the window's low came from the server, not this page's ticks.
    act(() => useCryptoStore.getState().applyUpdates([update("99750", now + 1)], now + 1));
    expect(useToastStore.getState().toasts[0]?.body).toMatch(/moved \+5\.00% within 60 min/);
    expect(fetchCandles).toHaveBeenCalledTimes(1);
  });
});

function MoveEngine({ fetchCandles }: { fetchCandles: FetchCandles }) {
  useAlertsEngine(fetchCandles);
  return null;
}
