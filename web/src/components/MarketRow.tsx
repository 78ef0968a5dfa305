import { memo, useMemo, type KeyboardEvent, type MouseEvent, type ReactNode } from "react";
import type { SymbolInfo } from "../protocol";
import { useConversion } from "../hooks/useConversion";
import { usePrice } from "../hooks/usePrice";
import { useHalted } from "../hooks/useHalted";
import { useStale } from "../hooks/useStale";
import { CONVERTED_MARK, formatMoneyIn } from "../lib/currency";
import {
  formatAge,
  formatAmount,
  formatCompact,
  formatPercent,
  formatPrice,
  signOf,
} from "../lib/format";
import { applyConversion, BASE_CURRENCY, type Conversion } from "../lib/fx";
import { DESKTOP_COLUMNS, gridTemplate, type ColumnKey } from "../lib/marketColumns";
import { withLivePoint } from "../lib/sparkline";
import { priceAge, useCryptoStore } from "../store/cryptoStore";
import { useMarketMetaStore } from "../store/marketMetaStore";
import { CoinLogo } from "./CoinLogo";
import { FlashValue } from "./FlashValue";
import { HaltedBadge } from "./HaltedBadge";
import { PairName } from "./PairName";
import { SourceBadge } from "./SourceBadge";
import { Sparkline } from "./Sparkline";
import { StarButton } from "./StarButton";

export const ROW_HEIGHT = 48;

/** The row's grid without its tracks (set per table, from the columns shown). */
export const GRID = "grid items-center gap-x-2 px-2 sm:px-4";
const DEFAULT_TEMPLATE = gridTemplate(DESKTOP_COLUMNS);

/** Quotes whose prices are in the sparkline's currency (USD, as the metadata states it), near
 * enough to draw the live price as the line's newest point. */
const USD_LIKE = new Set(["USDT", "USDC", "FDUSD", "USD", "TUSD", "DAI"]);

interface Props {
  info: SymbolInfo;
  index: number;
  top: number;
  selected: boolean;
  starred: boolean;
  /** The columns shown, in order, and the grid tracks for them (the star's first). */
  columns?: readonly ColumnKey[];
  template?: string;
  onOpen(symbol: string): void;
  onStar(symbol: string): void;
  onSelect(index: number): void;
}

/** A money cell's text: the market's own number, or "≈ €…" when shown in the user's currency. */
function money(value: string, conv: Conversion | null, compact = false): string {
  if (!conv) return compact ? formatCompact(value) : formatPrice(value);
  const v = applyConversion(value, conv);
  if (v === null) return "—";
  return `${CONVERTED_MARK} ${formatMoneyIn(v, conv.to, { compact })}`;
}

function Change({ value, testId }: { value: string | null | undefined; testId: string }) {
  if (value == null)
    return (
      <span className="text-muted" title="unknown">
        —
      </span>
    );
  const s = signOf(value);
  return (
    <span
      data-testid={testId}
      className={`tabular inline-block min-w-[4.5rem] rounded px-1.5 py-0.5 text-right text-xs font-medium sm:text-sm ${
        s > 0 ? "bg-up-soft text-up" : s < 0 ? "bg-down-soft text-down" : "text-muted"
      }`}
    >
      {formatPercent(value)}
    </span>
  );
}

function Trend({ value }: { value: string | null | undefined }) {
  if (value == null)
    return (
      <span className="text-muted" title="unknown">
        —
      </span>
    );
  const s = signOf(value);
  return (
    <span
      className={`tabular text-xs sm:text-sm ${s > 0 ? "text-up" : s < 0 ? "text-down" : "text-muted"}`}
    >
      {formatPercent(value)}
    </span>
  );
}

/** One market. Re-renders only when its own symbol's price changes (at most every 100 ms), when
 * its stale mark flips, when its coin's metadata or the user's rate changes, or when the table
 * passes new props. A click anywhere on it (or Enter while it has focus) opens the pair. */
export const MarketRow = memo(function MarketRow(props: Props) {
  const {
    info,
    index,
    top,
    selected,
    starred,
    columns = DESKTOP_COLUMNS,
    template = DEFAULT_TEMPLATE,
    onOpen,
    onStar,
    onSelect,
  } = props;
  const entry = usePrice(info.symbol, 100);
  const stale = useStale(entry);
  const halted = useHalted(info.symbol);
  const asset = useMarketMetaStore((s) => s.assets.byAsset.get(info.baseAsset));
  const conv = useConversion(info.quoteAsset);
  const usdConv = useConversion("USD");
  // Market caps are in USD: in the user's currency when it is another fiat, else as stated.
  const capConv = usdConv && usdConv.to !== BASE_CURRENCY ? usdConv : null;
  // A halted market's last price stands but does not move: shown muted, like a stale one.
  const notLive = stale || halted !== null;
  const tick = entry?.prev ? Math.sign(Number(entry.price) - Number(entry.prev)) : 0;
  const livePoint = entry && USD_LIKE.has(info.quoteAsset) ? Number(entry.price) : null;
  const spark = asset?.sparkline7d;
  const points = useMemo(() => withLivePoint(spark ?? [], livePoint), [spark, livePoint]);

  const showAge = (e: MouseEvent<HTMLDivElement>) => {
    const s = useCryptoStore.getState();
    const current = s.prices[info.symbol];
    e.currentTarget.title = current
      ? `${info.symbol}: updated ${formatAge(priceAge(current, Date.now(), s.clockOffsetMs))} ago · source ${current.source}${
          stale ? " · stale" : ""
        }${halted ? ` · trading halted (${halted})` : ""}${
          conv ? ` · ${formatPrice(current.price)} ${info.quoteAsset}, shown in ${conv.to}` : ""
        }`
      : `${info.symbol}: no price yet`;
  };

  const cell = (key: ColumnKey): ReactNode => {
    switch (key) {
      case "rank":
        return (
          <div
            key={key}
            role="cell"
            data-testid="rank"
            className="tabular text-right text-xs text-muted"
          >
            {asset?.rank ?? "—"}
          </div>
        );
      case "symbol":
        return (
          <div key={key} role="cell" className="flex min-w-0 items-center gap-2">
            <CoinLogo asset={info.baseAsset} src={asset?.logo ?? null} />
            <div className="flex min-w-0 flex-col leading-tight">
              <div className="flex min-w-0 items-center gap-1.5">
                <a
                  href={`/markets/${info.symbol}`}
                  // The row itself takes focus and opens; one tab stop per row, not two.
                  tabIndex={-1}
                  onClick={(e) => {
                    e.preventDefault();
                    e.stopPropagation();
                    onOpen(info.symbol);
                  }}
                  className="min-w-0 truncate font-semibold hover:text-brand"
                >
                  <PairName {...info} />
                </a>
                {entry && <SourceBadge source={entry.source} />}
                {halted && <HaltedBadge status={halted} />}
                {stale && (
                  <span
                    data-testid="stale"
                    className="rounded bg-warn-bg px-1 text-[10px] font-medium text-warn-fg"
                  >
                    stale
                  </span>
                )}
              </div>
              {asset?.name && (
                <span data-testid="coin-name" className="truncate text-xs text-muted">
                  {asset.name}
                </span>
              )}
            </div>
          </div>
        );
      case "price":
        return (
          <div
            key={key}
            role="cell"
            data-testid="price"
            data-currency={conv ? conv.to : info.quoteAsset}
            // Stale: the badge and a muted price, not a faded row (faded text falls below AA).
            className={`tabular truncate text-right font-medium ${
              notLive ? "text-muted" : tick > 0 ? "text-up" : tick < 0 ? "text-down" : ""
            }`}
          >
            {entry && !halted ? (
              <FlashValue value={entry.price}>{money(entry.price, conv)}</FlashValue>
            ) : entry ? (
              money(entry.price, conv)
            ) : (
              <span className="text-muted">—</span>
            )}
          </div>
        );
      case "change":
        return (
          <div key={key} role="cell" className="text-right">
            {entry ? (
              <Change value={entry.priceChangePercent} testId="change" />
            ) : (
              <span className="text-muted">—</span>
            )}
          </div>
        );
      case "change1h":
        return (
          <div key={key} role="cell" data-testid="change1h" className="text-right">
            <Trend value={asset?.change1h} />
          </div>
        );
      case "change7d":
        return (
          <div key={key} role="cell" data-testid="change7d" className="text-right">
            <Trend value={asset?.change7d} />
          </div>
        );
      case "high":
      case "low":
        return (
          <div key={key} role="cell" className="tabular truncate text-right text-muted">
            {entry ? money(key === "high" ? entry.high24h : entry.low24h, conv) : "—"}
          </div>
        );
      case "volume":
        return (
          <div
            key={key}
            role="cell"
            className="tabular truncate text-right"
            title={entry ? `${formatAmount(entry.volume24h)} ${info.quoteAsset}` : undefined}
          >
            {entry ? money(entry.volume24h, conv, true) : "—"}
          </div>
        );
      case "marketCap":
        return (
          <div
            key={key}
            role="cell"
            data-testid="market-cap"
            data-value={asset?.marketCap ?? ""}
            className="tabular truncate text-right"
            title={asset?.marketCap ? `${formatAmount(asset.marketCap)} USD` : "unknown"}
          >
            {!asset?.marketCap ? (
              <span className="text-muted">—</span>
            ) : capConv ? (
              money(asset.marketCap, capConv, true)
            ) : (
              formatMoneyIn(asset.marketCap, "USD", { compact: true })
            )}
          </div>
        );
      case "spark":
        return (
          <div key={key} role="cell" className="flex items-center justify-end">
            <Sparkline points={points} />
          </div>
        );
    }
  };

  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-testid="market-row"
      data-symbol={info.symbol}
      data-stale={stale ? "true" : "false"}
      data-halted={halted ?? ""}
      data-source={entry?.source ?? ""}
      onMouseEnter={showAge}
      tabIndex={0}
      onClick={() => onOpen(info.symbol)}
      onKeyDown={(e: KeyboardEvent<HTMLDivElement>) => {
        if (e.key !== "Enter" || e.target !== e.currentTarget) return;
        // Handled: the table's own Enter (open the selected row) must not open another.
        e.preventDefault();
        onOpen(info.symbol);
      }}
      onFocus={(e) => {
        if (e.target === e.currentTarget) onSelect(index);
      }}
      style={{
        height: ROW_HEIGHT,
        transform: `translateY(${top}px)`,
        gridTemplateColumns: template,
      }}
      className={`${GRID} absolute left-0 top-0 w-full cursor-pointer border-b border-line/60 text-sm transition-colors hover:bg-panel-2 focus-visible:outline focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-brand ${
        selected ? "bg-panel-2 outline outline-1 -outline-offset-1 outline-brand/60" : ""
      }`}
    >
      <div role="cell">
        <StarButton symbol={info.symbol} starred={starred} onToggle={onStar} />
      </div>
      {columns.map(cell)}
    </div>
  );
});
