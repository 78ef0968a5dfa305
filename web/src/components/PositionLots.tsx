import { useState } from "react";
import { formatAmount, formatMoney, formatPrice } from "../lib/format";
import type { Position } from "../lib/lots";
import { usePortfolioStore } from "../store/portfolioStore";

/** The buys and sells behind one position, oldest first, each removable. */
export function PositionLots({ position }: { position: Position }) {
  const [error, setError] = useState<string | null>(null);
  const remove = (id: string) => setError(usePortfolioStore.getState().removeLot(id));
  return (
    <div className="flex flex-col gap-1 text-xs">
      <ul aria-label={`Lots of ${position.symbol}`} className="flex flex-col">
        {position.lots.map((lot) => (
          <li
            key={lot.id}
            data-testid="lot-row"
            data-side={lot.side}
            className="flex flex-wrap items-center gap-x-3 gap-y-0.5 border-b border-line/40 py-1 last:border-0"
          >
            <span className={lot.side === "buy" ? "text-up" : "text-down"}>
              {lot.side === "buy" ? "Buy" : "Sell"}
            </span>
            <span className="tabular">
              {formatAmount(lot.amount)} @ {formatPrice(lot.price)}
            </span>
            {lot.fee !== "0" && (
              <span className="tabular text-muted">fee {formatMoney(Number(lot.fee))}</span>
            )}
            <span className="tabular text-muted">
              {lot.at > 0 ? new Date(lot.at).toLocaleString() : "date unknown"}
            </span>
            <button
              type="button"
              onClick={() => remove(lot.id)}
              className="ml-auto text-muted hover:text-down"
              aria-label={`Remove ${lot.side} of ${formatAmount(lot.amount)} ${position.symbol}`}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p role="alert" className="text-down">
          {error}
        </p>
      )}
    </div>
  );
}
