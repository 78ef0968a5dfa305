import { act, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { PriceUpdate, SymbolInfo } from "../protocol";
import { initialLink, STALE_AFTER_MS, useCryptoStore } from "../store/cryptoStore";
import { useClockStore } from "../store/clockStore";
import { Highlights } from "./Highlights";

const NOW = 1_700_000_000_000;

const symbols: SymbolInfo[] = [
  { symbol: "ZOKUSDT", baseAsset: "ZOK", quoteAsset: "USDT" },
  { symbol: "ETHBTC", baseAsset: "ETH", quoteAsset: "BTC" },
  { symbol: "ABCUSDT", baseAsset: "ABC", quoteAsset: "USDT" },
];

const price = (symbol: string, change: string, age: number): PriceUpdate => ({
  symbol,
  price: "1.5",
  priceChangePercent: change,
  high24h: "2",
  low24h: "1",
  volume24h: "100",
  lastUpdateTime: NOW - age,
  source: "simulator",
});

const rows = (symbol: string) =>
  screen.getAllByTestId("highlight-row").filter((r) => r.dataset.symbol === symbol);

beforeEach(() => {
  useClockStore.setState({ now: NOW });
  useCryptoStore.setState({
    symbols,
    prices: {},
    clockOffsetMs: 0,
    link: { ...initialLink, state: "connected" },
  });
  useCryptoStore
    .getState()
    .applyUpdates(
      [
        price("ZOKUSDT", "12.5", 1000),
        price("ETHBTC", "-3", STALE_AFTER_MS + 5000),
        price("ABCUSDT", "1", 2000),
      ],
      NOW,
      NOW,
    );
});

describe("Highlights", () => {
  it("names pairs as the table does", () => {
    render(<Highlights />);
    const [gainer] = rows("ZOKUSDT");
    expect(gainer?.querySelector("a")?.textContent).toBe("ZOK/USDT");
    expect(rows("ETHBTC")[0]?.querySelector("a")?.textContent).toBe("ETH/BTC");
  });

  it("marks a price that has not moved for a while as stale, and every one when offline", () => {
    render(<Highlights />);
    expect(rows("ETHBTC").every((r) => r.dataset.stale === "true")).toBe(true);
    expect(rows("ZOKUSDT").every((r) => r.dataset.stale === "false")).toBe(true);
    expect(rows("ETHBTC")[0]?.querySelector("[data-testid=stale]")).not.toBeNull();

    act(() => useCryptoStore.setState({ link: { ...initialLink, state: "reconnecting" } }));
    const all = screen.getAllByTestId("highlight-row");
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((r) => r.dataset.stale === "true")).toBe(true);
  });
});

describe("Highlights across quotes", () => {
  it("shows a coin once per card and ranks volume in USDT", () => {
    act(() =>
      useCryptoStore
        .getState()
        .setSymbols([
          ...symbols,
          { symbol: "ZOKTRY", baseAsset: "ZOK", quoteAsset: "TRY" },
          { symbol: "ZOKBTC", baseAsset: "ZOK", quoteAsset: "BTC" },
          { symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT" },
        ]),
    );
    act(() =>
      useCryptoStore.getState().applyUpdates(
        [
          // 1,000,000 lira (no rate known: unknown in USDT) against 150 USDT.
          { ...price("ZOKTRY", "12.4", 0), volume24h: "1000000" },
          { ...price("ZOKBTC", "12.3", 0), volume24h: "0.0001" },
          { ...price("BTCUSDT", "0", 0), price: "90000", volume24h: "150" },
          { ...price("ETHBTC", "-3", 0), volume24h: "1" },
        ],
        NOW,
        NOW,
      ),
    );
    render(<Highlights />);
    const gainers = screen.getByText("Top gainers (24h)").parentElement!;
    const zok = [...gainers.querySelectorAll("[data-testid=highlight-row]")].filter((r) =>
      (r as HTMLElement).dataset.symbol?.startsWith("ZOK"),
    );
    expect(zok).toHaveLength(1);
    const volume = screen.getByText("Highest volume (24h)").parentElement!;
    const order = [...volume.querySelectorAll<HTMLElement>("[data-testid=highlight-row]")].map(
      (r) => r.dataset.symbol,
    );
    // 1 BTC of ETHBTC is worth 90,000 USDT: first, ahead of BTCUSDT's 150 USDT.
    expect(order[0]).toBe("ETHBTC");
    expect(order).not.toContain("ZOKTRY");
  });
});
