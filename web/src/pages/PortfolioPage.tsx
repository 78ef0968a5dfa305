import { useMemo, useRef, useState, type ChangeEvent } from "react";
import { AllocationChart } from "../components/AllocationChart";
import { LotForm } from "../components/LotForm";
import { PositionCards } from "../components/PositionCards";
import { PositionsTable } from "../components/PositionsTable";
import { Pnl } from "../components/Pnl";
import { useLiveSymbols } from "../hooks/useLiveSymbols";
import { useMediaQuery } from "../hooks/useMediaQuery";
import { usePortfolioValuation } from "../hooks/usePortfolioValuation";
import { CSV_HEADER, parseCsv, toCsv } from "../lib/csv";
import { CONVERTED_MARK, PORTFOLIO_CURRENCY } from "../lib/currency";
import { ConversionNote } from "../components/ConversionNote";
import { formatMoney } from "../lib/format";
import { rollUp } from "../lib/lots";
import { allocationByCoin } from "../lib/portfolio";
import { useCryptoStore } from "../store/cryptoStore";
import { usePortfolioStore } from "../store/portfolioStore";
import { useToastStore } from "../store/toastStore";

/** The currency of the figures beside it, marked "≈" when they are converted. */
function Currency({ code, converted }: { code: string; converted: boolean }) {
  return (
    <span data-testid="portfolio-currency" className="ml-1 text-xs font-normal text-muted">
      {converted ? `${CONVERTED_MARK} ${code}` : code}
    </span>
  );
}

export function PortfolioPage() {
  const lots = usePortfolioStore((s) => s.lots);
  const { addLot, removeSymbol, importLots } = usePortfolioStore.getState();
  const symbolInfos = useCryptoStore((s) => s.symbols);
  const known = useMemo(() => new Set(symbolInfos.map((s) => s.symbol)), [symbolInfos]);
  const symbolList = useMemo(() => symbolInfos.map((s) => s.symbol), [symbolInfos]);
  const baseOf = useMemo(() => {
    const bases = new Map(symbolInfos.map((s) => [s.symbol, s.baseAsset]));
    return (symbol: string) => bases.get(symbol) ?? symbol;
  }, [symbolInfos]);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const fileRef = useRef<HTMLInputElement>(null);
  const toast = useToastStore((s) => s.push);
  // Tailwind's `sm` breakpoint.
  const wide = useMediaQuery("(min-width: 640px)");

  const positions = useMemo(() => rollUp(lots), [lots]);
  useLiveSymbols(
    "portfolio",
    positions.map((p) => p.symbol),
  );
  const v = usePortfolioValuation(positions);
  const slices = allocationByCoin(
    v.rows.map((r) => ({ symbol: r.position.symbol, value: r.value })),
    baseOf,
  );

  const toggle = (symbol: string) => {
    const next = new Set(open);
    if (!next.delete(symbol)) next.add(symbol);
    setOpen(next);
  };

  const exportCsv = () => {
    const blob = new Blob([toCsv(lots)], { type: "text/csv" });
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
    if (rows.length) importLots(rows);
    toast({
      title: `Imported ${rows.length} lot${rows.length === 1 ? "" : "s"}`,
      body: errors.length
        ? `Skipped: ${errors.slice(0, 3).join(" · ")}${errors.length > 3 ? " …" : ""}`
        : "All lines were valid.",
      tone: errors.length ? "warning" : "success",
    });
  };

  const listProps = {
    rows: v.rows,
    open,
    onToggle: toggle,
    onRemove: removeSymbol,
    converted: v.converted ? `${CONVERTED_MARK} ${v.currency}` : undefined,
  };
  // One of the two, not both hidden by CSS: a phone gets cards it reads without scrolling.
  // relative: the table's sr-only header cell is absolute; inside the scroller it cannot widen
  // the page.
  const list = wide ? (
    <div className="relative overflow-x-auto">
      <PositionsTable {...listProps} />
    </div>
  ) : (
    <PositionCards {...listProps} />
  );
  return (
    <div className="mx-auto flex w-full min-w-0 max-w-7xl flex-col gap-4 p-2 sm:p-4">
      <div className="flex flex-wrap items-end gap-2">
        <h1 className="text-xl font-semibold">Portfolio</h1>
        {v.converted && (
          <span className="text-xs text-muted">
            Lots, average costs and prices stay in {PORTFOLIO_CURRENCY}; totals, values and P&amp;L
            are converted.
          </span>
        )}
        <ConversionNote />
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
            disabled={lots.length === 0}
            className="h-8 rounded-md border border-line px-3 text-sm hover:border-brand disabled:opacity-50"
          >
            Export CSV
          </button>
        </div>
      </div>

      <div className="grid min-w-0 items-start gap-4 lg:grid-cols-[1fr_minmax(320px,420px)]">
        <section className="grid min-w-0 grid-cols-1 gap-3 rounded-lg border border-line bg-panel p-4 sm:grid-cols-2">
          <div className="sm:col-span-2">
            <p className="text-xs text-muted">Total value</p>
            <p className="tabular text-2xl font-semibold">
              <span data-testid="portfolio-total">{formatMoney(v.total)}</span>
              <Currency code={v.currency} converted={v.converted} />
            </p>
          </div>
          <div>
            <p className="text-xs text-muted">Cost basis (fees included)</p>
            <p className="tabular text-lg">
              <span data-testid="portfolio-cost">{formatMoney(v.cost)}</span>
              <Currency code={v.currency} converted={v.converted} />
            </p>
          </div>
          <div>
            <p className="text-xs text-muted">
              Unrealised P&amp;L ({v.converted ? `${CONVERTED_MARK} ` : ""}
              {v.currency})
            </p>
            <p className="text-lg">
              <Pnl value={v.priced ? v.pnl : null} pct={v.pnlPct} testId="portfolio-pnl" />
            </p>
          </div>
          <div className="sm:col-span-2">
            <p className="text-xs text-muted">
              Realised P&amp;L ({v.converted ? `${CONVERTED_MARK} ` : ""}
              {v.currency})
            </p>
            <p className="text-lg">
              <Pnl value={v.realised} pct={null} testId="portfolio-realised" />
            </p>
            <p className="text-xs text-muted">
              Average-cost method: a sell is matched against the position&apos;s average cost (fees
              included) at the time; its own fee is taken from the proceeds.
            </p>
          </div>
        </section>
        <section className="min-w-0 rounded-lg border border-line bg-panel p-4">
          <h2 className="mb-2 text-sm font-semibold">Allocation by coin</h2>
          <AllocationChart slices={slices} />
        </section>
      </div>

      <section className="rounded-lg border border-line bg-panel p-4">
        <h2 className="mb-3 text-sm font-semibold">Add a buy or sell</h2>
        <LotForm
          symbols={symbolList}
          onSubmit={(input, at) => addLot(input, known, undefined, at)}
        />
      </section>

      <section className="min-w-0 rounded-lg border border-line bg-panel">
        {v.rows.length === 0 ? (
          <p className="px-4 py-8 text-center text-sm text-muted">
            No holdings yet. Add a buy above or import a CSV ({CSV_HEADER}).
          </p>
        ) : (
          list
        )}
      </section>
    </div>
  );
}
