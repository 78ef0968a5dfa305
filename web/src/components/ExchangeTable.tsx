import { useQuery } from "@tanstack/react-query";
import { api } from "../lib/api";
import { formatAge, formatPrice } from "../lib/format";
import type { ExchangeQuote } from "../protocol";
import { SourceBadge } from "./SourceBadge";

/** How often the comparison is asked for again (the server keeps one a few seconds). */
export const COMPARE_REFETCH_MS = 10_000;

/** "0.012300" -> "0.0123", "1.000000" -> "1": the server sends a fixed six places. */
function trimZeros(v: string): string {
  return v.includes(".") ? v.replace(/0+$/, "").replace(/\.$/, "") : v;
}

function Row({ quote }: { quote: ExchangeQuote }) {
  const cell = "tabular px-2 py-1.5 text-right";
  return (
    <tr
      data-testid="exchange-row"
      data-source={quote.source}
      data-serving={quote.serving ? "true" : "false"}
      className={`border-t border-line/60 ${quote.serving ? "bg-panel-2" : ""}`}
    >
      <th scope="row" className="px-2 py-1.5 text-left font-medium">
        <span className="flex items-center gap-1.5">
          <SourceBadge source={quote.source} />
          {quote.serving && (
            <span data-testid="serving" className="text-xs text-muted">
              prices shown
            </span>
          )}
        </span>
      </th>
      {quote.error != null ? (
        <td colSpan={5} data-testid="exchange-error" className="px-2 py-1.5 text-xs text-muted">
          {quote.error}
        </td>
      ) : (
        <>
          <td className={cell}>{quote.bid != null ? formatPrice(quote.bid) : "—"}</td>
          <td className={cell}>{quote.ask != null ? formatPrice(quote.ask) : "—"}</td>
          <td className={cell} data-testid="spread">
            {quote.spread != null ? trimZeros(quote.spread) : "—"}
            {quote.spreadPercent != null && (
              <span className="text-muted"> ({trimZeros(quote.spreadPercent)}%)</span>
            )}
          </td>
          <td className={cell}>{quote.last != null ? formatPrice(quote.last) : "—"}</td>
          <td className={cell} data-testid="trade-age">
            {quote.lastTradeAgeMs != null ? `${formatAge(quote.lastTradeAgeMs)} ago` : "—"}
          </td>
        </>
      )}
    </tr>
  );
}

/** The market on every live exchange the server is configured with: which one the prices on
 * this page come from, and how the others compare (spread, last trade age). */
export function ExchangeTable({ symbol }: { symbol: string }) {
  const compared = useQuery({
    queryKey: ["compare", symbol],
    queryFn: ({ signal }) => api.compare(symbol, signal),
    refetchInterval: COMPARE_REFETCH_MS,
    retry: false,
  });
  const quotes = compared.data?.quotes ?? [];
  return (
    <section
      aria-labelledby="exchanges-title"
      data-testid="exchange-table"
      className="overflow-x-auto rounded-lg border border-line bg-panel"
    >
      <h2 id="exchanges-title" className="px-3 pt-2 text-sm font-semibold">
        Exchanges
      </h2>
      {compared.isError && quotes.length === 0 ? (
        <p className="px-3 py-2 text-sm text-muted">Comparison unavailable right now.</p>
      ) : compared.isPending ? (
        <p className="px-3 py-2 text-sm text-muted">Asking the exchanges…</p>
      ) : quotes.length === 0 ? (
        <p className="px-3 py-2 text-sm text-muted">No live exchange is configured.</p>
      ) : (
        <table className="w-full text-sm">
          <thead className="text-xs text-muted">
            <tr>
              <th scope="col" className="px-2 py-1 text-left font-normal">
                Exchange
              </th>
              <th scope="col" className="px-2 py-1 text-right font-normal">
                Bid
              </th>
              <th scope="col" className="px-2 py-1 text-right font-normal">
                Ask
              </th>
              <th scope="col" className="px-2 py-1 text-right font-normal">
                Spread
              </th>
              <th scope="col" className="px-2 py-1 text-right font-normal">
                Last
              </th>
              <th scope="col" className="px-2 py-1 text-right font-normal">
                Last trade
              </th>
            </tr>
          </thead>
          <tbody>
            {quotes.map((q) => (
              <Row key={q.source} quote={q} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
