import { useMemo, useRef, useState, type ChangeEvent } from "react";
import { Link } from "wouter";
import { AllocationChart } from "../components/AllocationChart";
import { HoldingForm } from "../components/HoldingForm";
import { useLiveSymbols } from "../hooks/useLiveSymbols";
import { usePortfolioValuation } from "../hooks/usePortfolioValuation";
import { parseCsv, toCsv } from "../lib/csv";
import { formatAmount, formatMoney, formatPrice } from "../lib/format";
import { formatForInput } from "../lib/parseDecimal";
import { useCryptoStore } from "../store/cryptoStore";
import { usePortfolioStore } from "../store/portfolioStore";
import { useToastStore } from "../store/toastStore";
import { Pnl } from "../components/Pnl";

export function PortfolioPage() {
  const holdings = usePortfolioStore((s) => s.holdings);
  const { add, update, remove, importHoldings } = usePortfolioStore.getState();
  const symbolInfos = useCryptoStore((s) => s.symbols);
  const known = useMemo(() => new Set(symbolInfos.map((s) => s.symbol)), [symbolInfos]);
  const symbolList = useMemo(() => symbolInfos.map((s) => s.symbol), [symbolInfos]);
  const [editing, setEditing] = useState<string | null>(null);
  const fileRef = useRef<HTMLInputElement>(null);
  const toast = useToastStore((s) => s.push);

  useLiveSymbols(
    "portfolio",
    holdings.map((h) => h.symbol),
  );
  const v = usePortfolioValuation(holdings);

  const exportCsv = () => {
    const blob = new Blob([toCsv(holdings)], { type: "text/csv" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = "portfolio.csv";
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const importCsv = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = "";
    if (!file) return;
    const { rows, errors } = parseCsv(await file.text(), known);
    if (rows.length) importHoldings(rows);
    toast({
      title: `Imported ${rows.length} holding${rows.length === 1 ? "" : "s"}`,
      body: errors.length
        ? `Skipped: ${errors.slice(0, 3).join(" · ")}${errors.length > 3 ? " …" : ""}`
        : "All lines were valid.",
      tone: errors.length ? "warning" : "success",
    });
  };

  return (
    <div className="mx-auto flex w-full max-w-7xl flex-col gap-4 p-2 sm:p-4">
      <div className="flex flex-wrap items-end gap-2">
        <h1 className="text-xl font-semibold">Portfolio</h1>
        <div className="ml-auto flex gap-2">
          <button
            type="button"
            onClick={() => fileRef.current?.click()}
            className="h-8 rounded-md border border-line px-3 text-sm hover:border-brand"
          >
            Import CSV
          </button>
          <input
            ref={fileRef}
            data-testid="csv-input"
            type="file"
            accept=".csv,text/csv"
            hidden
            onChange={importCsv}
          />
          <button
            type="button"
            onClick={exportCsv}
            disabled={holdings.length === 0}
            className="h-8 rounded-md border border-line px-3 text-sm hover:border-brand disabled:opacity-50"
          >
            Export CSV
          </button>
        </div>
      </div>

      <div className="grid items-start gap-4 lg:grid-cols-[1fr_minmax(320px,420px)]">
        <section className="grid grid-cols-2 gap-3 rounded-lg border border-line bg-panel p-4 sm:grid-cols-3">
          <div>
            <p className="text-xs text-muted">Total value</p>
            <p data-testid="portfolio-total" className="tabular text-2xl font-semibold">
              {formatMoney(v.total)}
            </p>
          </div>
          <div>
            <p className="text-xs text-muted">Cost basis</p>
            <p className="tabular text-lg">{formatMoney(v.cost)}</p>
          </div>
          <div className="col-span-2 sm:col-span-1">
            <p className="text-xs text-muted">Unrealised P&amp;L</p>
            <p className="text-lg">
              <Pnl value={v.priced ? v.pnl : null} pct={v.pnlPct} testId="portfolio-pnl" />
            </p>
          </div>
        </section>
        <section className="rounded-lg border border-line bg-panel p-4">
          <h2 className="mb-2 text-sm font-semibold">Allocation</h2>
          <AllocationChart
            slices={v.rows.map((r) => ({ label: r.holding.symbol, value: r.value ?? 0 }))}
          />
        </section>
      </div>

      <section className="rounded-lg border border-line bg-panel p-4">
        <h2 className="mb-3 text-sm font-semibold">Add a holding</h2>
        <HoldingForm
          symbols={symbolList}
          submitLabel="Add"
          onSubmit={(input) => add(input, known)}
        />
      </section>

      {/* relative: the sr-only header cell is absolute and would widen the page otherwise */}
      <section className="relative overflow-x-auto rounded-lg border border-line bg-panel">
        <table className="w-full min-w-[640px] text-sm">
          <thead className="text-xs text-muted">
            <tr className="border-b border-line">
              <th className="px-4 py-2 text-left font-normal">Market</th>
              <th className="px-2 py-2 text-right font-normal">Amount</th>
              <th className="px-2 py-2 text-right font-normal">Avg buy</th>
              <th className="px-2 py-2 text-right font-normal">Price</th>
              <th className="px-2 py-2 text-right font-normal">Value</th>
              <th className="px-2 py-2 text-right font-normal">P&amp;L</th>
              <th className="px-4 py-2 text-right font-normal">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {v.rows.length === 0 && (
              <tr>
                <td colSpan={7} className="px-4 py-8 text-center text-muted">
                  No holdings yet. Add one above or import a CSV (symbol,amount,avgBuyPrice).
                </td>
              </tr>
            )}
            {v.rows.map((r) =>
              editing === r.holding.id ? (
                <tr key={r.holding.id} className="border-b border-line/60">
                  <td colSpan={7} className="px-4 py-3">
                    <HoldingForm
                      initial={{
                        symbol: r.holding.symbol,
                        amount: formatForInput(r.holding.amount),
                        avgPrice: formatForInput(r.holding.avgPrice),
                      }}
                      symbols={symbolList}
                      submitLabel="Save"
                      onSubmit={(input) => {
                        const errs = update(r.holding.id, input, known);
                        if (Object.keys(errs).length === 0) setEditing(null);
                        return errs;
                      }}
                      onCancel={() => setEditing(null)}
                    />
                  </td>
                </tr>
              ) : (
                <tr
                  key={r.holding.id}
                  data-testid="holding-row"
                  data-symbol={r.holding.symbol}
                  className="border-b border-line/60 hover:bg-panel-2"
                >
                  <td className="px-4 py-2 font-semibold">
                    <Link href={`/markets/${r.holding.symbol}`} className="hover:text-brand">
                      {r.holding.symbol}
                    </Link>
                  </td>
                  <td className="tabular px-2 py-2 text-right">{formatAmount(r.holding.amount)}</td>
                  <td className="tabular px-2 py-2 text-right text-muted">
                    {formatPrice(r.holding.avgPrice)}
                  </td>
                  <td className="tabular px-2 py-2 text-right">
                    {r.price ? formatPrice(r.price) : "—"}
                  </td>
                  <td data-testid="holding-value" className="tabular px-2 py-2 text-right">
                    {r.value !== null ? formatMoney(r.value) : "—"}
                  </td>
                  <td className="px-2 py-2 text-right">
                    <Pnl value={r.pnl} pct={r.pnlPct} testId="holding-pnl" />
                  </td>
                  <td className="whitespace-nowrap px-4 py-2 text-right">
                    <button
                      type="button"
                      onClick={() => setEditing(r.holding.id)}
                      className="text-muted hover:text-fg"
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      onClick={() => remove(r.holding.id)}
                      className="ml-3 text-muted hover:text-down"
                      aria-label={`Remove ${r.holding.symbol}`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </section>
    </div>
  );
}
