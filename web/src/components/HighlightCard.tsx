import { Link } from "wouter";
import { formatCompact, formatPercent, formatPrice } from "../lib/format";
import type { PriceEntry } from "../store/cryptoStore";

/** Three markets with their price and change or volume. */
export function HighlightCard({
  title,
  rows,
  show,
}: {
  title: string;
  rows: PriceEntry[];
  show: "change" | "volume";
}) {
  return (
    <div className="min-w-0 rounded-lg border border-line bg-panel p-3">
      <p className="mb-2 text-xs font-medium text-muted">{title}</p>
      <ul className="flex flex-col gap-1.5">
        {rows.map((p) => (
          <li key={p.symbol} className="flex items-center gap-2 text-sm">
            <Link
              href={`/markets/${p.symbol}`}
              className="min-w-0 flex-1 truncate font-medium hover:text-brand"
            >
              {p.symbol}
            </Link>
            <span className="tabular">{formatPrice(p.price)}</span>
            {show === "change" ? (
              <span
                className={`tabular w-16 text-right ${Number(p.priceChangePercent) >= 0 ? "text-up" : "text-down"}`}
              >
                {formatPercent(p.priceChangePercent)}
              </span>
            ) : (
              <span className="tabular w-16 text-right text-muted">
                {formatCompact(p.volume24h)}
              </span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
