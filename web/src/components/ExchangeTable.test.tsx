import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ExchangeComparison } from "../protocol";
import { ExchangeTable } from "./ExchangeTable";

const ANSWER: ExchangeComparison = {
  symbol: "BTCUSDT",
  asOf: 1_700_000_000_000,
  timestamp: 1_700_000_000_500,
  quotes: [
    {
      source: "binance",
      serving: false,
      error: "GET /api/v3/ticker/bookTicker: HTTP 451",
    },
    {
      source: "coinbase",
      serving: true,
      bid: "97000.10",
      ask: "97000.30",
      spread: "0.20",
      spreadPercent: "0.000206",
      last: "97000.20",
      lastTradeTime: 1_700_000_000_000,
      lastTradeAgeMs: 2_500,
    },
  ],
};

afterEach(() => vi.unstubAllGlobals());

describe("ExchangeTable", () => {
  it("shows each exchange's book, marks the one serving, and an exchange's error in its row", async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify(ANSWER), { status: 200 }));
    vi.stubGlobal("fetch", fetch);
    render(
      <QueryClientProvider client={new QueryClient()}>
        <ExchangeTable symbol="BTCUSDT" />
      </QueryClientProvider>,
    );
    const rows = await screen.findAllByTestId("exchange-row");
    const [refused, serving] = rows as [HTMLElement, HTMLElement];
    expect(fetch).toHaveBeenCalledWith("/api/compare/BTCUSDT", expect.anything());
    expect(rows.map((r) => [r.dataset.source, r.dataset.serving])).toEqual([
      ["binance", "false"],
      ["coinbase", "true"],
    ]);
    expect(within(refused).getByTestId("exchange-error").textContent).toContain("HTTP 451");
    expect(within(serving).getByTestId("spread").textContent).toBe("0.2 (0.000206%)");
    expect(within(serving).getByTestId("trade-age").textContent).toBe("2.5 s ago");
    expect(within(serving).getByTestId("serving").textContent).toBe("prices shown");
  });
});
