import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
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

const renderConnection = () =>
  render(
    <QueryClientProvider client={new QueryClient()}>
      <Connection />
    </QueryClientProvider>,
  );

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

/** Advances the clock letting each answer land, as real fetches do: an unanswered refresh is not
 * asked again (TanStack Query dedupes a query already in flight). */
const settle = (ms: number) => act(async () => void (await vi.advanceTimersByTimeAsync(ms)));

describe("useMarketConnection", () => {
  it("refreshes off-screen prices only while connected, and stops everything on unmount", async () => {
    const { unmount } = renderConnection();
    expect(client.start).toHaveBeenCalledTimes(1);
    expect(loadMarkets).toHaveBeenCalledTimes(1);

    await settle(3000);
    expect(loadPrices).not.toHaveBeenCalled(); // not connected yet

    act(() => useCryptoStore.setState({ link: { ...initialLink, state: "connected" } }));
    await settle(3000);
    expect(loadPrices).toHaveBeenCalledTimes(3);

    act(() => useCryptoStore.setState({ link: { ...initialLink, state: "reconnecting" } }));
    await settle(3000);
    expect(loadPrices).toHaveBeenCalledTimes(3);

    unmount();
    expect(client.stop).toHaveBeenCalledTimes(1);
    act(() => useCryptoStore.setState({ link: { ...initialLink, state: "connected" } }));
    await settle(3000);
    expect(loadPrices).toHaveBeenCalledTimes(3);
  });

  it("reloads the market list after a reconnection", () => {
    renderConnection();
    act(() =>
      useCryptoStore.setState({ link: { ...initialLink, state: "connected", reconnects: 1 } }),
    );
    expect(loadMarkets).toHaveBeenCalledTimes(2);
  });

  it("asks again for the market list while the server has none yet", async () => {
    useCryptoStore.setState({ symbols: [] });
    renderConnection();
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

  it("starts the list's retry schedule afresh after a reconnection", async () => {
    useCryptoStore.setState({ symbols: [] });
    renderConnection();
    await settle(0);
    await settle(1000);
    await settle(2000);
    expect(loadMarkets).toHaveBeenCalledTimes(3); // the next try would be 4 s away
    act(() =>
      useCryptoStore.setState({ link: { ...initialLink, state: "connected", reconnects: 1 } }),
    );
    expect(loadMarkets).toHaveBeenCalledTimes(4);
    await settle(1000);
    expect(loadMarkets).toHaveBeenCalledTimes(5);
  });
});
