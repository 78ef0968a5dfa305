import { useEffect } from "react";
import { Link } from "wouter";
import { CandleChart } from "../components/CandleChart";
import { ExchangeTable } from "../components/ExchangeTable";
import { FlashValue } from "../components/FlashValue";
import { HaltedBadge } from "../components/HaltedBadge";
import { SourceBadge } from "../components/SourceBadge";
import { StarButton } from "../components/StarButton";
import { useLiveSymbols } from "../hooks/useLiveSymbols";
import { usePrice } from "../hooks/usePrice";
import { useHalted } from "../hooks/useHalted";
import { useStale } from "../hooks/useStale";
import { formatCompact, formatPercent, formatPrice, signOf } from "../lib/format";
import { CANDLE_INTERVALS } from "../protocol";
import { useChartStore } from "../store/chartStore";
import { useCryptoStore } from "../store/cryptoStore";
import { useWatchlistStore } from "../store/watchlistStore";
import { Stat } from "../components/Stat";
import { useDarkTheme } from "../hooks/useDarkTheme";

/** /markets/:symbol, loaded on demand (it carries the chart library). */
export default function SymbolPage({ symbol: raw }: { symbol: string }) {
  const symbol = raw.toUpperCase();
  const info = useCryptoStore((s) => s.symbols.find((x) => x.symbol === symbol));
  const loaded = useCryptoStore((s) => s.symbolsLoaded);
  const entry = usePrice(symbol, 100);
  const stale = useStale(entry);
  const halted = useHalted(symbol);
  const starred = useWatchlistStore((s) => s.symbols.includes(symbol));
  const toggle = useWatchlistStore((s) => s.toggle);
  const interval = useChartStore((s) => s.interval);
  const setCandleInterval = useChartStore((s) => s.setInterval);
  const dark = useDarkTheme();
  useLiveSymbols("symbol-page", [symbol]);

  useEffect(() => {
    document.title = entry
      ? `${formatPrice(entry.price)} ${symbol} · Crypto Tracker`
      : `${symbol} · Crypto Tracker`;
  }, [entry, symbol]);
  useEffect(() => () => void (document.title = "Crypto Tracker"), []);

  if (loaded && !info) {
    return (
      <div className="mx-auto max-w-7xl p-8 text-center text-muted">
        Unknown market {symbol}.{" "}
        <Link href="/" className="text-brand">
          Back to markets
        </Link>
      </div>
    );
  }
  const change = entry ? signOf(entry.priceChangePercent) : 0;
  const tick = entry?.prev ? Math.sign(Number(entry.price) - Number(entry.prev)) : 0;

  return (
    <div className="mx-auto flex min-h-0 w-full max-w-7xl flex-1 flex-col gap-3 p-2 sm:p-4">
      <section className="flex flex-wrap items-center gap-x-6 gap-y-3 rounded-lg border border-line bg-panel p-3 sm:p-4">
        <div className="flex items-center gap-2">
          <StarButton symbol={symbol} starred={starred} onToggle={toggle} />
          <h1 className="text-lg font-semibold">
            {info?.baseAsset ?? symbol}
            {info && <span className="font-normal text-muted">/{info.quoteAsset}</span>}
          </h1>
          {entry && <SourceBadge source={entry.source} />}
          {halted && <HaltedBadge status={halted} />}
          {stale && (
            <span className="rounded bg-warn-bg px-1 text-[10px] font-medium text-warn-fg">
              stale
            </span>
          )}
        </div>
        <div
          data-testid="symbol-price"
          data-halted={halted ?? ""}
          // Halted: the last price, muted and without flashing; it is not live.
          className={`tabular text-2xl font-semibold ${
            halted ? "text-muted" : tick > 0 ? "text-up" : tick < 0 ? "text-down" : ""
          }`}
        >
          {entry && !halted ? (
            <FlashValue value={entry.price}>{formatPrice(entry.price)}</FlashValue>
          ) : entry ? (
            formatPrice(entry.price)
          ) : (
            "—"
          )}
        </div>
        <div className="grid flex-1 grid-cols-2 gap-4 sm:grid-cols-4">
          <Stat label="24h change">
            <span className={change > 0 ? "text-up" : change < 0 ? "text-down" : ""}>
              {entry ? formatPercent(entry.priceChangePercent) : "—"}
            </span>
          </Stat>
          <Stat label="24h high">{entry ? formatPrice(entry.high24h) : "—"}</Stat>
          <Stat label="24h low">{entry ? formatPrice(entry.low24h) : "—"}</Stat>
          <Stat label={`24h volume (${info?.quoteAsset || "quote"})`}>
            {entry ? formatCompact(entry.volume24h) : "—"}
          </Stat>
        </div>
        <Link
          href={`/alerts?symbol=${symbol}`}
          className="h-8 rounded-md border border-line px-3 text-sm leading-8 hover:border-brand"
        >
          Set alert
        </Link>
      </section>
      <section className="flex min-h-[380px] flex-1 flex-col overflow-hidden rounded-lg border border-line bg-panel">
        <div
          role="tablist"
          aria-label="Candle interval"
          className="flex gap-1 border-b border-line px-2 py-1.5"
        >
          {CANDLE_INTERVALS.map((iv) => (
            <button
              key={iv}
              role="tab"
              aria-selected={iv === interval}
              data-testid={`interval-${iv}`}
              onClick={() => setCandleInterval(iv)}
              className={`h-7 rounded px-2.5 text-xs font-medium ${iv === interval ? "bg-panel-2 text-brand" : "text-muted hover:text-fg"}`}
            >
              {iv}
            </button>
          ))}
        </div>
        <div className="min-h-0 flex-1">
          <CandleChart symbol={symbol} interval={interval} dark={dark} />
        </div>
      </section>
      <ExchangeTable symbol={symbol} />
    </div>
  );
}
