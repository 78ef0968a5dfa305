import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Router } from "wouter";
import { memoryLocation } from "wouter/memory-location";
import type { PriceUpdate, SymbolInfo } from "../protocol";
import { EMPTY_ASSETS, readAssets } from "../lib/assets";
import { EMPTY_RATES, readRates } from "../lib/fx";
import { useCryptoStore } from "../store/cryptoStore";
import { useCurrencyStore } from "../store/currencyStore";
import { useMarketMetaStore } from "../store/marketMetaStore";
import { TABLE_PREFS_STORAGE_KEY, useTablePrefsStore } from "../store/tablePrefsStore";
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
    // One row per coin by default: these coins have one market each.
    expect(screen.getByTestId("row-count").textContent).toBe("10 coins");
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

describe("MarketsTable with coin metadata and rates", () => {
  const asset = (
    a: string,
    rank: number | null,
    cap: string | null,
    name: string | null = null,
  ) => ({
    asset: a,
    name,
    rank,
    marketCap: cap,
    logo: `/api/logos/${a.toLowerCase()}`,
    sparkline7d: [1, 2, 3],
  });

  beforeEach(() => {
    // A desktop: the chosen columns show.
    vi.stubGlobal("matchMedia", (query: string) => ({
      matches: true,
      media: query,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    }));
    useTablePrefsStore.getState().reset();
    useCurrencyStore.setState({ currency: "USDT" });
    useMarketMetaStore.getState().setAssets(
      readAssets({
        assets: [
          asset("C005", 2, "5000", "Bitcoin"),
          asset("C007", 1, "9000", "Solana"),
          asset("C009", 3, "not a number", "Weird"),
          { asset: "ETH", name: "Ethereum", rank: 40, marketCap: "90" },
        ],
        updatedAt: 1,
      }),
    );
    useMarketMetaStore.getState().setRates(
      readRates({
        rates: [{ currency: "EUR", rate: "0.5", source: "test:EURUSDT", asOf: Date.now() }],
      }),
    );
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    useMarketMetaStore.setState({ assets: EMPTY_ASSETS, rates: EMPTY_RATES });
  });

  it("orders by rank first, then markets without one by volume, and by market cap on demand", () => {
    renderTable();
    expect(ordered().slice(0, 3)).toEqual(["C007USDT", "C005USDT", "C009USDT"]);
    fireEvent.click(screen.getByTestId("sort-marketCap"));
    expect(
      screen
        .getByTestId("sort-marketCap")
        .closest("[role=columnheader]")
        ?.getAttribute("aria-sort"),
    ).toBe("descending");
    // C009's market cap is unreadable: unknown, so after every known one.
    expect(ordered().slice(0, 2)).toEqual(["C007USDT", "C005USDT"]);
    expect(ordered().indexOf("C009USDT")).toBeGreaterThan(2);
    vi.useRealTimers();
  });

  it("finds a market by its coin's name, and shows unknown coins with a placeholder", () => {
    renderTable();
    fireEvent.change(screen.getByTestId("search"), { target: { value: "bitcoin" } });
    expect(rendered()).toEqual(["C005USDT"]);
    const row = screen.getByTestId("market-row");
    expect(row.querySelector("[data-testid=coin-name]")?.textContent).toBe("Bitcoin");
    expect(row.querySelector("img")?.getAttribute("src")).toBe("/api/logos/c005");
    expect(row.querySelector("[data-testid=sparkline] path")?.getAttribute("d")).toMatch(/^M/);

    fireEvent.change(screen.getByTestId("search"), { target: { value: "C100" } });
    const unknown = screen.getByTestId("market-row");
    expect(unknown.querySelector("[data-testid=coin-logo-placeholder]")?.textContent).toBe("C");
    expect(unknown.querySelector("[data-testid=rank]")?.textContent).toBe("—");
    expect(unknown.querySelector("[data-testid=market-cap]")?.textContent).toBe("—");
    vi.useRealTimers();
  });

  it("shows prices in the chosen currency, marked as converted", () => {
    renderTable();
    const priceOf = (symbol: string) =>
      screen
        .getAllByTestId("market-row")
        .find((r) => r.dataset.symbol === symbol)
        ?.querySelector<HTMLElement>("[data-testid=price]");
    act(() =>
      useCryptoStore
        .getState()
        .setSymbols([...symbols, { symbol: "C007EUR", baseAsset: "C007", quoteAsset: "EUR" }]),
    );
    act(() => useCryptoStore.getState().applyUpdates([price("C007EUR", 500)], Date.now()));
    fireEvent.change(screen.getByTestId("search"), { target: { value: "C007" } });
    fireEvent.click(screen.getByTestId("best-per-coin"));
    // USDT chosen: every market in its own currency, none converted.
    expect(priceOf("C007USDT")?.textContent).toBe("993.00");
    expect(priceOf("C007EUR")?.textContent).toBe("500.00");
    act(() => useCurrencyStore.getState().setCurrency("EUR"));
    expect(priceOf("C007USDT")?.textContent).toBe("≈ €496.50");
    expect(priceOf("C007EUR")?.textContent).toBe("500.00");
    expect(priceOf("C007USDT")?.dataset.currency).toBe("EUR");
    // A currency without a rate: the market's own number, unmarked.
    act(() => useCurrencyStore.getState().setCurrency("GBP"));
    expect(priceOf("C007USDT")?.textContent).toBe("993.00");
    vi.useRealTimers();
  });

  it("keeps one market per coin, the busiest, in the best-market view", () => {
    act(() =>
      useCryptoStore
        .getState()
        .setSymbols([
          ...symbols,
          { symbol: "ETHUSDT", baseAsset: "ETH", quoteAsset: "USDT" },
          { symbol: "C000BTC", baseAsset: "C000", quoteAsset: "BTC" },
        ]),
    );
    act(() =>
      useCryptoStore.getState().applyUpdates(
        [
          { ...price("ETHUSDT", 3000), volume24h: "1" },
          { ...price("BTCUSDT", 90000), volume24h: "1" },
          { ...price("C000BTC", 1), volume24h: "1" },
        ],
        Date.now(),
      ),
    );
    renderTable();
    fireEvent.change(screen.getByTestId("search"), { target: { value: "eth" } });
    // The default view: ETHBTC's 10 BTC of volume, at BTCUSDT's price, outweighs ETHUSDT's 1 USDT.
    expect(screen.getByTestId("best-per-coin").getAttribute("aria-pressed")).toBe("true");
    expect(rendered()).toEqual(["ETHBTC"]);
    expect(screen.getByTestId("row-count").textContent).toBe("1 coin");
    fireEvent.click(screen.getByTestId("best-per-coin"));
    expect(rendered().sort()).toEqual(["ETHBTC", "ETHUSDT"]);
    expect(screen.getByTestId("row-count").textContent).toBe("2 markets");
    vi.useRealTimers();
  });

  it("lets a desktop user choose the columns, and remembers them", () => {
    renderTable();
    expect(screen.queryByTestId("sort-high")).toBeNull();
    fireEvent.click(screen.getByTestId("column-high"));
    expect(screen.getByTestId("sort-high")).toBeTruthy();
    fireEvent.click(screen.getByTestId("column-marketCap"));
    expect(screen.queryByTestId("sort-marketCap")).toBeNull();
    expect(
      JSON.parse(localStorage.getItem(TABLE_PREFS_STORAGE_KEY) ?? "{}").state.columns,
    ).toContain("high");
    vi.useRealTimers();
  });
});
