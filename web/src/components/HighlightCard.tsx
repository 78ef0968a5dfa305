import type { SymbolInfo } from "../protocol";
import type { PriceEntry } from "../store/cryptoStore";
import { HighlightRow } from "./HighlightRow";

/** Three markets with their price and change or volume. */
export function HighlightCard({
  title,
  rows,
  show,
  infos,
}: {
  title: string;
  rows: PriceEntry[];
  show: "change" | "volume";
  infos: ReadonlyMap<string, SymbolInfo>;
}) {
  return (
    <div
      data-testid="highlight-card"
      className="min-w-0 rounded-lg border border-line bg-panel p-3"
    >
      <p className="mb-2 text-xs font-medium text-muted">{title}</p>
      <ul className="flex flex-col gap-1.5">
        {rows.map((p) => (
          <HighlightRow key={p.symbol} entry={p} info={infos.get(p.symbol)} show={show} />
        ))}
      </ul>
    </div>
  );
}
