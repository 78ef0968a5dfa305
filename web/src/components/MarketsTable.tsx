import { useVirtualizer } from "@tanstack/react-virtual";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useLocation } from "wouter";
import type { SymbolInfo } from "../protocol";
import { useLiveSymbols } from "../hooks/useLiveSymbols";
import { useMediaQuery } from "../hooks/useMediaQuery";
import { marketQuery, matchesMarket, type Asset } from "../lib/assets";
import {
  COLUMN_BY_KEY,
  gridTemplate,
  PHONE_COLUMNS,
  visibleColumns,
  type SortKey,
} from "../lib/marketColumns";
import { bestPerCoin, quoteInUsdt, volumeInUsdt } from "../lib/bestMarket";
import { BASE_CURRENCY, canConvert } from "../lib/fx";
import { useCurrencyStore } from "../store/currencyStore";
import { useCryptoStore, type PriceEntry } from "../store/cryptoStore";
import { useMarketMetaStore } from "../store/marketMetaStore";
import { useTablePrefsStore } from "../store/tablePrefsStore";
import { useWatchlistStore } from "../store/watchlistStore";
import { ColumnsChooser } from "./ColumnsChooser";
import { GRID, MarketRow, ROW_HEIGHT } from "./MarketRow";

export type { SortKey };
interface Sort {
  key: SortKey;
  dir: "asc" | "desc";
}

/** The value a row sorts by; NaN when unknown (those rows go last, either way). */
function sortValue(
  key: SortKey,
  p: PriceEntry | undefined,
  a: Asset | undefined,
  volumeUsdt: number,
  /** Prices × this compare across quotes as shown (1: as the market states them). */
  priceFactor: number,
): number {
  switch (key) {
    case "rank":
      return a?.rank ?? Number.NaN;
    case "marketCap":
      return a?.marketCap ? Number(a.marketCap) : Number.NaN;
    case "change1h":
      return a?.change1h ? Number(a.change1h) : Number.NaN;
    case "change7d":
      return a?.change7d ? Number(a.change7d) : Number.NaN;
    case "volume":
      // In USDT, so markets of different quotes compare.
      return volumeUsdt;
    default:
      break;
  }
  if (!p) return Number.NaN;
  switch (key) {
    case "price":
      return Number(p.price) * priceFactor;
    case "change":
      return Number(p.priceChangePercent);
    case "high":
      return Number(p.high24h) * priceFactor;
    case "low":
      return Number(p.low24h) * priceFactor;
    default:
      return Number.NaN;
  }
}

/** Prices for ordering the rows: fresh when the sort changes, then at most once a second, so
 * rows do not jump on every tick. */
function useSortPrices(active: boolean, sortKey: string): Record<string, PriceEntry> {
  const [prices, setPrices] = useState(() => useCryptoStore.getState().prices);
  useEffect(() => {
    if (!active) return;
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const refresh = () => {
      timer = null;
      last = Date.now();
      setPrices(useCryptoStore.getState().prices);
    };
    refresh();
    const unsubscribe = useCryptoStore.subscribe((s, prev) => {
      if (s.prices === prev.prices || timer) return;
      // The first prices order the table at once; later ones wait for the next second.
      const wait = Object.keys(prev.prices).length === 0 ? 0 : last + 1000 - Date.now();
      if (wait <= 0) refresh();
      else timer = setTimeout(refresh, wait);
    });
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [active, sortKey]);
  return prices;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return (
    !!el &&
    (el.tagName === "INPUT" ||
      el.tagName === "TEXTAREA" ||
      el.tagName === "SELECT" ||
      el.isContentEditable)
  );
}

interface Props {
  /** Subscription owner name ("markets", "watchlist"). */
  owner: string;
  /** Show only these symbols (the watchlist). */
  only?: readonly string[];
  empty?: ReactNode;
}

export function MarketsTable({ owner, only, empty }: Props) {
  const allSymbols = useCryptoStore((s) => s.symbols);
  const loaded = useCryptoStore((s) => s.symbolsLoaded);
  const loadError = useCryptoStore((s) => s.loadError);
  const watchlist = useWatchlistStore((s) => s.symbols);
  const toggleStar = useWatchlistStore((s) => s.toggle);
  const [, navigate] = useLocation();

  const [query, setQuery] = useState("");
  const [quote, setQuote] = useState("ALL");
  // Rank, as every tracker orders its list; markets without one follow by volume.
  const [sort, setSort] = useState<Sort>({ key: "rank", dir: "asc" });
  // One row per coin, as trackers list them; the watchlist shows every market starred.
  const [best, setBest] = useState(!only);
  const assets = useMarketMetaStore((s) => s.assets.byAsset);
  const rates = useMarketMetaStore((s) => s.rates.byCurrency);
  const currency = useCurrencyStore((s) => s.currency);
  // Tailwind's `sm` breakpoint: a phone gets a fixed, narrow set of columns.
  const wide = useMediaQuery("(min-width: 640px)");
  const chosen = useTablePrefsStore((s) => s.columns);
  const columns = useMemo(
    () => (wide ? visibleColumns(chosen) : [...PHONE_COLUMNS]),
    [wide, chosen],
  );
  const columnDefs = useMemo(
    () => columns.map((k) => COLUMN_BY_KEY.get(k)).filter((c) => c !== undefined),
    [columns],
  );
  const template = useMemo(() => gridTemplate(columns, wide ? "32px" : "28px"), [columns, wide]);
  const [selected, setSelected] = useState<string | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const scrollRef = useRef<HTMLDivElement>(null);

  const sortPrices = useSortPrices(sort.key !== "symbol" || best, `${sort.key}-${sort.dir}`);
  const starred = useMemo(() => new Set(watchlist), [watchlist]);

  const base = useMemo(() => {
    if (!only) return allSymbols;
    const bySymbol = new Map(allSymbols.map((s) => [s.symbol, s]));
    return only.map((sym) => bySymbol.get(sym) ?? { symbol: sym, baseAsset: sym, quoteAsset: "" });
  }, [allSymbols, only]);

  const quotes = useMemo(() => {
    const counts = new Map<string, number>();
    for (const s of base)
      if (s.quoteAsset) counts.set(s.quoteAsset, (counts.get(s.quoteAsset) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([q]) => q);
  }, [base]);

  const rows: SymbolInfo[] = useMemo(() => {
    const q = marketQuery(query);
    let filtered = base.filter(
      (s) =>
        (quote === "ALL" || s.quoteAsset === quote) && matchesMarket(q, s, assets.get(s.baseAsset)),
    );
    const volume = (s: SymbolInfo) => volumeInUsdt(s, sortPrices, rates);
    // Prices shown converted (a currency chosen) sort as shown: in USDT terms.
    const priceFactor = (s: SymbolInfo) =>
      currency !== BASE_CURRENCY && canConvert(s.quoteAsset, currency, rates)
        ? quoteInUsdt(s.quoteAsset, {}, rates)
        : 1;
    if (best && quote === "ALL") filtered = bestPerCoin(filtered, volume);
    const dir = sort.dir === "asc" ? 1 : -1;
    if (sort.key === "symbol") {
      // By coin, then quote: ETH/USDT before ETHFI/USDT, as a reader expects.
      return filtered.sort(
        (a, b) =>
          dir *
          (a.baseAsset.localeCompare(b.baseAsset) ||
            a.quoteAsset.localeCompare(b.quoteAsset) ||
            a.symbol.localeCompare(b.symbol)),
      );
    }
    const keyed = filtered.map((s) => {
      const vol = volume(s);
      const a = assets.get(s.baseAsset);
      return { s, vol, v: sortValue(sort.key, sortPrices[s.symbol], a, vol, priceFactor(s)) };
    });
    // Ties (a coin's markets share its rank) and unknowns go by volume, the busiest first.
    const byVolume = (a: { vol: number }, b: { vol: number }) =>
      (Number.isNaN(b.vol) ? -Infinity : b.vol) - (Number.isNaN(a.vol) ? -Infinity : a.vol);
    keyed.sort((a, b) => {
      const an = Number.isNaN(a.v);
      const bn = Number.isNaN(b.v);
      if (an || bn) {
        if (an !== bn) return an ? 1 : -1;
        return byVolume(a, b) || a.s.symbol.localeCompare(b.s.symbol);
      }
      return dir * (a.v - b.v) || byVolume(a, b) || a.s.symbol.localeCompare(b.s.symbol);
    });
    return keyed.map((k) => k.s);
  }, [base, query, quote, sort, sortPrices, assets, rates, best, currency]);

  // eslint-disable-next-line react-hooks/incompatible-library -- rows are memoised by props, not by the compiler
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 4,
    // A first guess before layout (and in tests without layout).
    initialRect: { width: 1000, height: 800 },
  });
  const items = virtualizer.getVirtualItems();

  // Only rows on screen stream live prices; scrolling changes the set, debounced.
  const visible = useMemo(
    () => items.map((it) => rows[it.index]?.symbol).filter((s): s is string => !!s),
    [items, rows],
  );
  useLiveSymbols(owner, visible, 250);

  const selectedIndex = selected ? rows.findIndex((r) => r.symbol === selected) : -1;

  const open = useCallback((symbol: string) => navigate(`/markets/${symbol}`), [navigate]);
  const select = useCallback(
    (index: number) => setSelected(rowsRef.current[index]?.symbol ?? null),
    [],
  );
  const rowsRef = useRef(rows);
  useEffect(() => {
    rowsRef.current = rows;
  }, [rows]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.altKey) return;
      if (isTyping(e.target)) {
        if (e.key === "Escape") (e.target as HTMLElement).blur();
        if (e.key === "ArrowDown" && e.target === searchRef.current) {
          e.preventDefault();
          searchRef.current?.blur();
          move(0, true);
        }
        return;
      }
      const list = rowsRef.current;
      const current = selectedRef.current
        ? list.findIndex((r) => r.symbol === selectedRef.current)
        : -1;
      function move(to: number, absolute = false) {
        const next = Math.max(0, Math.min(list.length - 1, absolute ? to : current + to));
        const sym = list[next]?.symbol;
        if (!sym) return;
        setSelected(sym);
        virtualizer.scrollToIndex(next, { align: "auto" });
      }
      switch (e.key) {
        case "/":
          e.preventDefault();
          searchRef.current?.focus();
          searchRef.current?.select();
          break;
        case "j":
        case "ArrowDown":
          e.preventDefault();
          move(current < 0 ? 0 : 1, current < 0);
          break;
        case "k":
        case "ArrowUp":
          e.preventDefault();
          move(current < 0 ? 0 : -1, current < 0);
          break;
        case "Enter":
          // Enter on a focused button or link is that control's own.
          if ((e.target as HTMLElement | null)?.closest?.("button, a")) break;
          if (selectedRef.current) open(selectedRef.current);
          break;
        case "s":
          if (selectedRef.current) toggleStar(selectedRef.current);
          break;
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [open, toggleStar, virtualizer]);
  const selectedRef = useRef(selected);
  useEffect(() => {
    selectedRef.current = selected;
  }, [selected]);

  const setSortKey = (key: SortKey) =>
    setSort((s) =>
      s.key === key
        ? { key, dir: s.dir === "asc" ? "desc" : "asc" }
        : { key, dir: key === "symbol" || key === "rank" ? "asc" : "desc" },
    );

  return (
    <section className="flex min-h-0 flex-1 flex-col overflow-hidden rounded-lg border border-line bg-panel">
      <div className="flex flex-wrap items-center gap-2 border-b border-line px-2 py-2 sm:px-4">
        <div className="relative w-full sm:w-auto sm:min-w-48 sm:max-w-xs sm:flex-1">
          <svg
            viewBox="0 0 24 24"
            className="pointer-events-none absolute left-2.5 top-2.5 h-4 w-4 text-muted"
            aria-hidden="true"
          >
            <circle cx="11" cy="11" r="7" fill="none" stroke="currentColor" strokeWidth="2" />
            <path d="M20 20l-3.5-3.5" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
          </svg>
          <input
            ref={searchRef}
            data-testid="search"
            type="search"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="Search coin or pair"
            aria-label="Search markets"
            className="peer h-9 w-full rounded-md border border-line bg-panel-2 pl-8 pr-8 text-sm outline-none placeholder:text-muted focus:border-brand"
          />
          <kbd className="pointer-events-none absolute right-2 top-2 hidden rounded border border-line px-1.5 text-xs text-muted peer-focus:hidden peer-[:not(:placeholder-shown)]:hidden sm:block">
            /
          </kbd>
        </div>
        {quotes.length > 1 && (
          <div
            role="tablist"
            aria-label="Quote asset"
            className="flex max-w-full gap-1 overflow-x-auto"
          >
            {["ALL", ...quotes].map((q) => (
              <button
                key={q}
                role="tab"
                aria-selected={quote === q}
                data-testid={`quote-${q}`}
                onClick={() => setQuote(q)}
                className={`h-8 shrink-0 rounded-md px-3 text-sm font-medium ${
                  quote === q ? "bg-panel-2 text-fg" : "text-muted hover:text-fg"
                }`}
              >
                {q === "ALL" ? "All" : q}
              </button>
            ))}
          </div>
        )}
        {quotes.length > 1 && quote === "ALL" && (
          <button
            type="button"
            data-testid="best-per-coin"
            aria-pressed={best}
            onClick={() => setBest((b) => !b)}
            title="One row per coin: its market with the most 24h volume"
            className={`h-8 shrink-0 rounded-md border px-3 text-sm font-medium ${
              best ? "border-brand text-fg" : "border-line text-muted hover:text-fg"
            }`}
          >
            Best market per coin
          </button>
        )}
        <span data-testid="row-count" className="ml-auto text-xs text-muted">
          {rows.length}{" "}
          {best && quote === "ALL"
            ? rows.length === 1
              ? "coin"
              : "coins"
            : rows.length === 1
              ? "market"
              : "markets"}
        </span>
        {wide && <ColumnsChooser />}
      </div>

      <div
        role="table"
        aria-label="Markets"
        aria-rowcount={rows.length + 1}
        className="flex min-h-0 flex-1 flex-col"
      >
        <div
          role="row"
          style={{ gridTemplateColumns: template }}
          className={`${GRID} h-9 shrink-0 border-b border-line text-xs text-muted`}
        >
          <div role="columnheader" aria-label="Watchlist" />
          {columnDefs.map((c) => (
            <div
              key={c.key}
              role="columnheader"
              aria-sort={
                sort.key === c.key ? (sort.dir === "asc" ? "ascending" : "descending") : "none"
              }
              className={`min-w-0 truncate ${c.align === "right" ? "text-right" : ""}`}
            >
              {!c.sortable ? (
                <span>{c.label}</span>
              ) : (
                <button
                  type="button"
                  data-testid={`sort-${c.key}`}
                  onClick={() => setSortKey(c.key as SortKey)}
                  className={`inline-flex items-center gap-1 hover:text-fg ${sort.key === c.key ? "text-fg" : ""}`}
                >
                  <span className="sm:hidden">{c.short ?? c.label}</span>
                  <span className="hidden sm:inline">{c.label}</span>
                  <span aria-hidden="true" className="text-[10px]">
                    {sort.key === c.key ? (sort.dir === "asc" ? "▲" : "▼") : "↕"}
                  </span>
                </button>
              )}
            </div>
          ))}
        </div>
        <div
          ref={scrollRef}
          data-testid="markets-scroll"
          className="relative min-h-0 flex-1 overflow-y-auto overscroll-contain"
        >
          {rows.length === 0 ? (
            <div className="p-8 text-center text-sm text-muted">
              {loadError
                ? `Could not load markets: ${loadError}`
                : !loaded
                  ? "Loading markets…"
                  : query
                    ? `No market matches “${query}”.`
                    : (empty ?? "No markets.")}
            </div>
          ) : (
            <div style={{ height: virtualizer.getTotalSize() }} className="relative w-full">
              {items.map((it) => {
                const info = rows[it.index];
                if (!info) return null;
                return (
                  <MarketRow
                    key={info.symbol}
                    info={info}
                    index={it.index}
                    top={it.start}
                    selected={it.index === selectedIndex}
                    starred={starred.has(info.symbol)}
                    columns={columns}
                    template={template}
                    onOpen={open}
                    onStar={toggleStar}
                    onSelect={select}
                  />
                );
              })}
            </div>
          )}
        </div>
      </div>
      <p className="hidden border-t border-line px-4 py-1.5 text-xs text-muted sm:block">
        <kbd>/</kbd> search · <kbd>j</kbd>/<kbd>k</kbd> or arrows move · <kbd>Enter</kbd> opens ·{" "}
        <kbd>s</kbd> stars · 1h, 7d and market cap from the coin's metadata (USD)
      </p>
    </section>
  );
}
