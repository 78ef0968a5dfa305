import { Link } from "wouter";
import { usePrice } from "../hooks/usePrice";
import { useStale } from "../hooks/useStale";
import { formatCompact, formatPercent, formatPrice } from "../lib/format";
import type { SymbolInfo } from "../protocol";
import type { PriceEntry } from "../store/cryptoStore";
import { PairName } from "./PairName";
import { SourceBadge } from "./SourceBadge";

/** One market of a highlight card: the ranked snapshot's numbers, marked stale as the table
 * marks it (the link is down, or the live price has not moved for a while). */
export function HighlightRow({
  entry,
  info,
  show,
}: {
  entry: PriceEntry;
  info: SymbolInfo | undefined;
  show: "change" | "volume";
}) {
  const live = usePrice(entry.symbol, 1000);
  const stale = useStale(live ?? entry);
  return (
    <li
      data-testid="highlight-row"
      data-symbol={entry.symbol}
      data-stale={stale ? "true" : "false"}
      // Marked by the badge and a muted price, not faded: faded text falls below AA contrast.
      className="flex items-center gap-2 text-sm"
    >
      <Link
        href={`/markets/${entry.symbol}`}
        className="min-w-0 flex-1 truncate font-medium hover:text-brand"
      >
        <PairName symbol={entry.symbol} baseAsset={info?.baseAsset} quoteAsset={info?.quoteAsset} />
      </Link>
      <SourceBadge source={(live ?? entry).source} />
      {stale && (
        <span
          data-testid="stale"
          className="rounded bg-warn-bg px-1 text-[10px] font-medium text-warn-fg"
        >
          stale
        </span>
      )}
      <span className={`tabular ${stale ? "text-muted" : ""}`}>{formatPrice(entry.price)}</span>
      {show === "change" ? (
        <span
          className={`tabular w-16 text-right ${Number(entry.priceChangePercent) >= 0 ? "text-up" : "text-down"}`}
        >
          {formatPercent(entry.priceChangePercent)}
        </span>
      ) : (
        <span className="tabular w-16 text-right text-muted">{formatCompact(entry.volume24h)}</span>
      )}
    </li>
  );
}
