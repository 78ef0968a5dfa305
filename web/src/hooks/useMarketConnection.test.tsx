import { render } from "@testing-library/react";
import { act } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { initialLink, useCryptoStore } from "../store/cryptoStore";
import { useMarketConnection } from "./useMarketConnection";

const client = { start: vi.fn(), stop: vi.fn() };
const loadMarkets = vi.fn(() => Promise.resolve());
const loadPrices = vi.fn(() => Promise.resolve());
vi.mock("../lib/market", () => ({
  marketClient: () => client,
  loadMarkets: () => loadMarkets(),
  loadPrices: () => loadPrices(),
}));

function Connection() {
  useMarketConnection(1000);
  return null;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.clearAllMocks();
  useCryptoStore.setState({
    link: { ...initialLink, state: "connecting" },
    symbols: [{ symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT" }],
    loadError: null,
  });
});

afterEach(() => vi.useRealTimers());

describe("useMarketConnection", () => {
  it("refreshes off-screen prices only while connected, and stops everything on unmount", () => {
    const { unmount } = render(<Connection />);
    expect(client.start).toHaveBeenCalledTimes(1);
    expect(loadMarkets).toHaveBeenCalledTimes(1);

    act(() => void vi.advanceTimersByTime(3000));
    expect(loadPrices).not.toHaveBeenCalled(); // not connected yet

    act(() => useCryptoStore.setState({ link: { ...initialLink, state: "connected" } }));
    act(() => void vi.advanceTimersByTime(3000));
    expect(loadPrices).toHaveBeenCalledTimes(3);

    act(() => useCryptoStore.setState({ link: { ...initialLink, state: "reconnecting" } }));
    act(() => void vi.advanceTimersByTime(3000));
    expect(loadPrices).toHaveBeenCalledTimes(3);

    unmount();
    expect(client.stop).toHaveBeenCalledTimes(1);
    act(() => useCryptoStore.setState({ link: { ...initialLink, state: "connected" } }));
    act(() => void vi.advanceTimersByTime(3000));
    expect(loadPrices).toHaveBeenCalledTimes(3);
  });

  it("reloads the market list after a reconnection", () => {
    render(<Connection />);
    act(() =>
      useCryptoStore.setState({ link: { ...initialLink, state: "connected", reconnects: 1 } }),
    );
    expect(loadMarkets).toHaveBeenCalledTimes(2);
  });

  it("asks again for the market list while the server has none yet", async () => {
    useCryptoStore.setState({ symbols: [] });
    render(<Connection />);
    await act(async () => void (await vi.advanceTimersByTimeAsync(0)));
    expect(loadMarkets).toHaveBeenCalledTimes(1);
    await act(async () => void (await vi.advanceTimersByTimeAsync(1000)));
    expect(loadMarkets).toHaveBeenCalledTimes(2);
    await act(async () => void (await vi.advanceTimersByTimeAsync(2000)));
    expect(loadMarkets).toHaveBeenCalledTimes(3);
    // The list arrives: no more retries.
    useCryptoStore.setState({
      symbols: [{ symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT" }],
    });
    await act(async () => void (await vi.advanceTimersByTimeAsync(4000)));
    expect(loadMarkets).toHaveBeenCalledTimes(4);
    await act(async () => void (await vi.advanceTimersByTimeAsync(60_000)));
    expect(loadMarkets).toHaveBeenCalledTimes(4);
  });
});
