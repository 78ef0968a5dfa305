import { Fragment } from "react";
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
  /** Set when values and P&L are converted: "≈ EUR" (average costs and prices are not). */
  converted?: string;
}

/** One row per market held (wide screens), its lots shown below it when expanded. */
export function PositionsTable({ rows, open, onToggle, onRemove, converted }: Props) {
  const unit = converted ? ` (${converted})` : "";
  return (
    <table className="w-full text-sm">
      <thead className="text-xs text-muted">
        <tr className="border-b border-line">
          <th className="px-4 py-2 text-left font-normal">Market</th>
          <th className="px-2 py-2 text-right font-normal">Amount</th>
          <th className="px-2 py-2 text-right font-normal">Avg cost</th>
          <th className="px-2 py-2 text-right font-normal">Price</th>
          <th className="px-2 py-2 text-right font-normal">Value{unit}</th>
          <th className="px-2 py-2 text-right font-normal">Unrealised P&amp;L{unit}</th>
          <th className="px-2 py-2 text-right font-normal">Realised{unit}</th>
          <th className="px-4 py-2 text-right font-normal">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => {
          const p = r.position;
          const expanded = open.has(p.symbol);
          return (
            <Fragment key={p.symbol}>
              <tr
                data-testid="position-row"
                data-symbol={p.symbol}
                className="border-b border-line/60 hover:bg-panel-2"
              >
                <td className="px-4 py-2 font-semibold">
                  <Link href={`/markets/${p.symbol}`} className="hover:text-brand">
                    {p.symbol}
                  </Link>
                </td>
                <td data-testid="position-amount" className="tabular px-2 py-2 text-right">
                  {formatAmount(p.amount)}
                </td>
                <td data-testid="position-avg" className="tabular px-2 py-2 text-right text-muted">
                  {p.avgCost !== null ? formatPrice(p.avgCost) : "—"}
                </td>
                <td className="tabular px-2 py-2 text-right">
                  {r.price ? formatPrice(r.price) : "—"}
                </td>
                <td data-testid="position-value" className="tabular px-2 py-2 text-right">
                  {r.value !== null ? formatMoney(r.value) : "—"}
                </td>
                <td className="px-2 py-2 text-right">
                  <Pnl value={r.pnl} pct={r.pnlPct} testId="position-pnl" />
                </td>
                <td className="px-2 py-2 text-right">
                  <Pnl value={r.realised} pct={null} testId="position-realised" />
                </td>
                <td className="whitespace-nowrap px-4 py-2 text-right">
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
                    className="ml-3 text-muted hover:text-down"
                    aria-label={`Remove ${p.symbol} and its lots`}
                  >
                    Remove
                  </button>
                </td>
              </tr>
              {expanded && (
                <tr className="border-b border-line/60 bg-panel-2/40">
                  <td colSpan={8} className="px-4 py-2">
                    <PositionLots position={p} />
                  </td>
                </tr>
              )}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}
