import { formatMoney, formatPercent } from "../lib/format";

/** Profit or loss, signed and coloured, with its percentage. */
export function Pnl({
  value,
  pct,
  testId,
}: {
  value: number | null;
  pct: number | null;
  testId?: string;
}) {
  if (value === null) return <span className="text-muted">—</span>;
  const cls = value > 0 ? "text-up" : value < 0 ? "text-down" : "";
  return (
    <span data-testid={testId} className={`tabular ${cls}`}>
      {formatMoney(value, undefined, true)}
      {pct !== null && <span className="ml-1 text-xs">({formatPercent(pct)})</span>}
    </span>
  );
}
