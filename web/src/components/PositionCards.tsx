import { Link } from "wouter";
import { formatAmount, formatMoney, formatPrice } from "../lib/format";
import type { Position } from "../lib/lots";
import type { PositionValue } from "../lib/portfolio";
import { Pnl } from "./Pnl";
import { PositionLots } from "./PositionLots";

interface Props {
  rows: PositionValue<Position>[];
  open: ReadonlySet<string>;
  onToggle(symbol: string): void;
  onRemove(symbol: string): void;
  /** Set when values and P&L are converted: "≈ EUR" (average costs are not). */
  converted?: string;
}

/** One card per market held (narrow screens): value and P&L first, no sideways scroll. */
export function PositionCards({ rows, open, onToggle, onRemove, converted }: Props) {
  return (
    <ul className="flex flex-col">
      {rows.map((r) => {
        const p = r.position;
        const expanded = open.has(p.symbol);
        return (
          <li
            key={p.symbol}
            data-testid="position-card"
            data-symbol={p.symbol}
            className="flex min-w-0 flex-col gap-1 border-b border-line/60 px-3 py-3 text-sm last:border-0"
          >
            <div className="flex items-baseline gap-2">
              <Link href={`/markets/${p.symbol}`} className="font-semibold hover:text-brand">
                {p.symbol}
              </Link>
              <span data-testid="position-value" className="tabular ml-auto font-semibold">
                {r.value !== null ? formatMoney(r.value) : "—"}
                {converted && (
                  <span className="ml-1 text-xs font-normal text-muted">{converted}</span>
                )}
              </span>
            </div>
            <div className="flex flex-wrap items-baseline gap-x-2 text-xs text-muted">
              <span className="tabular">
                <span data-testid="position-amount">{formatAmount(p.amount)}</span> @ avg{" "}
                <span data-testid="position-avg">
                  {p.avgCost !== null ? formatPrice(p.avgCost) : "—"}
                </span>
              </span>
              <span className="ml-auto text-sm">
                <Pnl value={r.pnl} pct={r.pnlPct} testId="position-pnl" />
              </span>
            </div>
            {r.realised !== 0 && (
              <div className="flex gap-2 text-xs text-muted">
                Realised
                <Pnl value={r.realised} pct={null} testId="position-realised" />
              </div>
            )}
            <div className="flex gap-4 text-xs">
              <button
                type="button"
                data-testid="position-lots-toggle"
                aria-expanded={expanded}
                onClick={() => onToggle(p.symbol)}
                className="text-muted hover:text-fg"
              >
                {p.lots.length} lot{p.lots.length === 1 ? "" : "s"}
              </button>
              <button
                type="button"
                onClick={() => onRemove(p.symbol)}
                className="text-muted hover:text-down"
                aria-label={`Remove ${p.symbol} and its lots`}
              >
                Remove
              </button>
            </div>
            {expanded && <PositionLots position={p} />}
          </li>
        );
      })}
    </ul>
  );
}
