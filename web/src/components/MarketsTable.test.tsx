import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Router } from "wouter";
import { memoryLocation } from "wouter/memory-location";
import type { PriceUpdate, SymbolInfo } from "../protocol";
import { useCryptoStore } from "../store/cryptoStore";
import { useWatchlistStore } from "../store/watchlistStore";
import { MarketsTable } from "./MarketsTable";

const setSymbols = vi.fn();
vi.mock("../lib/market", () => ({ marketClient: () => ({ setSymbols }) }));

const symbols: SymbolInfo[] = Array.from({ length: 300 }, (_, i) => ({
  symbol: `C${String(i).padStart(3, "0")}USDT`,
  baseAsset: `C${String(i).padStart(3, "0")}`,
  quoteAsset: "USDT",
}));
symbols.push({ symbol: "ETHBTC", baseAsset: "ETH", quoteAsset: "BTC" });

const price = (symbol: string, p: number): PriceUpdate => ({
  symbol,
  price: String(p),
  priceChangePercent: "1",
  high24h: String(p),
  low24h: String(p),
  volume24h: "10",
  lastUpdateTime: Date.now(),
  source: "simulator",
});

function renderTable() {
  const location = memoryLocation({ path: "/", record: true });
  const { hook, navigate } = location;
  const view = render(
    <Router hook={hook}>
      <MarketsTable owner="markets" />
    </Router>,
  );
  // The virtualiser measures its scroll element after mount, then renders the rows.
  act(() => vi.advanceTimersByTime(20));
  return { ...view, navigate, history: () => location.history };
}

const rendered = () => screen.queryAllByTestId("market-row").map((r) => r.dataset.symbol ?? "");
const ordered = () =>
  screen
    .queryAllByTestId("market-row")
    .sort(
      (a, b) => Number(a.getAttribute("aria-rowindex")) - Number(b.getAttribute("aria-rowindex")),
    )
    .map((r) => r.dataset.symbol ?? "");

// jsdom has no layout: give every element the size of a laptop screen so the virtualiser sees one.
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, "clientHeight", {
    configurable: true,
    get: () => 800,
  });
  Object.defineProperty(HTMLElement.prototype, "clientWidth", {
    configurable: true,
    get: () => 1200,
  });
});
afterAll(() => {
  delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight;
  delete (HTMLElement.prototype as { clientWidth?: number }).clientWidth;
});

beforeEach(() => {
  vi.useFakeTimers();
  setSymbols.mockClear();
  localStorage.clear();
  useWatchlistStore.setState({ symbols: [] });
  useCryptoStore.setState({ symbols, symbolsLoaded: true, prices: {} });
  act(() =>
    useCryptoStore.getState().applyUpdates(
      symbols.map((s, i) => price(s.symbol, 1000 - i)),
      Date.now(),
    ),
  );
});

describe("MarketsTable", () => {
  it("renders only the rows in view and subscribes just those, after a debounce", () => {
    renderTable();
    const rows = rendered();
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40);
    expect(setSymbols).not.toHaveBeenCalledWith("markets", expect.anything());
    act(() => vi.advanceTimersByTime(300));
    expect(setSymbols).toHaveBeenLastCalledWith("markets", [...rows].sort());
    vi.useRealTimers();
  });

  it("sorts by price both ways and filters by search and quote", () => {
    renderTable();
    fireEvent.click(screen.getByTestId("sort-price"));
    expect(ordered()[0]).toBe("C000USDT");
    fireEvent.click(screen.getByTestId("sort-price"));
    expect(ordered()[0]).toBe("ETHBTC");
    fireEvent.change(screen.getByTestId("search"), { target: { value: "c12" } });
    expect(rendered().every((s) => s.startsWith("C12"))).toBe(true);
    expect(screen.getByTestId("row-count").textContent).toBe("10 markets");
    fireEvent.change(screen.getByTestId("search"), { target: { value: "" } });
    fireEvent.click(screen.getByRole("tab", { name: "BTC" }));
    expect(rendered()).toEqual(["ETHBTC"]);
    vi.useRealTimers();
  });

  it("moves with j/k, stars with s, opens with Enter and focuses search with /", () => {
    const { history } = renderTable();
    fireEvent.keyDown(window, { key: "j" });
    fireEvent.keyDown(window, { key: "j" });
    fireEvent.keyDown(window, { key: "k" });
    fireEvent.keyDown(window, { key: "ArrowDown" });
    const selected = screen
      .getAllByTestId("market-row")
      .find((r) => r.getAttribute("aria-selected") === "true");
    const symbol = selected?.dataset.symbol ?? "";
    expect(ordered().indexOf(symbol)).toBe(1);
    fireEvent.keyDown(window, { key: "s" });
    expect(useWatchlistStore.getState().symbols).toEqual([symbol]);
    fireEvent.keyDown(window, { key: "Enter" });
    expect(history()?.at(-1)).toBe(`/markets/${symbol}`);
    fireEvent.keyDown(window, { key: "/" });
    expect(document.activeElement).toBe(screen.getByTestId("search"));
    vi.useRealTimers();
  });

  it("opens a pair on a click anywhere on its row", () => {
    const { history } = renderTable();
    const row = screen.getAllByTestId("market-row").find((r) => r.dataset.symbol === "C002USDT");
    const price = row?.querySelector<HTMLElement>("[data-testid=price]");
    if (!price) throw new Error("no price cell");
    fireEvent.click(price);
    expect(history()?.at(-1)).toBe("/markets/C002USDT");
    vi.useRealTimers();
  });

  it("makes rows tab stops that open with Enter, and Enter on the star does not open the row", () => {
    const { history } = renderTable();
    const row = screen.getAllByTestId("market-row").find((r) => r.dataset.symbol === "C003USDT");
    if (!row) throw new Error("no row");
    expect(row.tabIndex).toBe(0);
    // One tab stop per row: the pair link inside is not another.
    expect(row.querySelector("a")?.tabIndex).toBe(-1);
    act(() => row.focus());
    expect(row.getAttribute("aria-selected")).toBe("true");

    const star = row.querySelector<HTMLElement>("[data-testid=star]");
    if (!star) throw new Error("no star");
    fireEvent.keyDown(star, { key: "Enter" });
    expect(history()).toEqual(["/"]);

    fireEvent.keyDown(row, { key: "Enter" });
    expect(history()).toEqual(["/", "/markets/C003USDT"]);
    vi.useRealTimers();
  });
});
