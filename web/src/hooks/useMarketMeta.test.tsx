import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, waitFor } from "@testing-library/react";
import { act } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EMPTY_ASSETS } from "../lib/assets";
import { EMPTY_RATES } from "../lib/fx";
import { useCryptoStore } from "../store/cryptoStore";
import { useMarketMetaStore } from "../store/marketMetaStore";
import { useMarketMeta } from "./useMarketMeta";

function Meta() {
  useMarketMeta();
  return null;
}

const json = (body: unknown, status = 200) =>
  new Response(typeof body === "string" ? body : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });

function serve(routes: Record<string, () => Response>) {
  const fetchMock = vi.fn<typeof fetch>(async (input) => {
    const url = String(input);
    const route = routes[url];
    return route ? route() : json({}, 404);
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

const renderMeta = () =>
  render(
    <QueryClientProvider
      client={new QueryClient({ defaultOptions: { queries: { retryDelay: 1 } } })}
    >
      <Meta />
    </QueryClientProvider>,
  );

beforeEach(() => useCryptoStore.setState({ symbolsLoaded: true }));
afterEach(() => {
  vi.unstubAllGlobals();
  useMarketMetaStore.setState({ assets: EMPTY_ASSETS, rates: EMPTY_RATES });
});

describe("useMarketMeta", () => {
  it("loads coin metadata and rates from our own origin into the store", async () => {
    const fetchMock = serve({
      "/api/assets": () =>
        json({
          assets: [{ asset: "BTC", name: "Bitcoin", rank: 1 }],
          updatedAt: 5,
          source: "coingecko",
        }),
      "/api/rates": () =>
        json({
          base: "USDT",
          rates: [{ currency: "EUR", rate: "0.92", source: "binance:EURUSDT", asOf: 4 }],
          timestamp: 5,
        }),
    });
    renderMeta();
    await waitFor(() =>
      expect(useMarketMetaStore.getState().rates.byCurrency.get("EUR")?.rate).toBe("0.92"),
    );
    await waitFor(() =>
      expect(useMarketMetaStore.getState().assets.byAsset.get("BTC")?.name).toBe("Bitcoin"),
    );
    const urls = fetchMock.mock.calls.map(([u]) => String(u)).sort();
    expect(urls).toEqual(["/api/assets", "/api/rates"]);
  });

  it("leaves the metadata empty when its source fails or sends garbage, and still loads rates", async () => {
    serve({
      "/api/assets": () => json("{not json"),
      "/api/rates": () =>
        json({ rates: [{ currency: "JPY", rate: "150", source: "x", asOf: 1 }], timestamp: 1 }),
    });
    renderMeta();
    await waitFor(() =>
      expect(useMarketMetaStore.getState().rates.byCurrency.has("JPY")).toBe(true),
    );
    expect(useMarketMetaStore.getState().assets.byAsset.size).toBe(0);
  });

  it("asks for the metadata only once the market list has loaded", async () => {
    act(() => useCryptoStore.setState({ symbolsLoaded: false }));
    const fetchMock = serve({
      "/api/assets": () => json({ assets: [{ asset: "BTC", name: "Bitcoin" }], updatedAt: 1 }),
      "/api/rates": () => json({ rates: [], timestamp: 1 }),
    });
    renderMeta();
    await waitFor(() => expect(fetchMock).toHaveBeenCalledWith("/api/rates", expect.anything()));
    expect(fetchMock.mock.calls.map(([u]) => String(u))).toEqual(["/api/rates"]);
    act(() => useCryptoStore.setState({ symbolsLoaded: true }));
    await waitFor(() => expect(useMarketMetaStore.getState().assets.byAsset.has("BTC")).toBe(true));
  });
});
