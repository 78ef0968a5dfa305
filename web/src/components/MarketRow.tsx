import { memo, type KeyboardEvent, type MouseEvent } from "react";
import type { SymbolInfo } from "../protocol";
import { usePrice } from "../hooks/usePrice";
import { useHalted } from "../hooks/useHalted";
import { useStale } from "../hooks/useStale";
import {
  formatAge,
  formatAmount,
  formatCompact,
  formatPercent,
  formatPrice,
  signOf,
} from "../lib/format";
import { priceAge, useCryptoStore } from "../store/cryptoStore";
import { FlashValue } from "./FlashValue";
import { HaltedBadge } from "./HaltedBadge";
import { PairName } from "./PairName";
import { SourceBadge } from "./SourceBadge";
import { StarButton } from "./StarButton";

export const ROW_HEIGHT = 48;

export const GRID =
  "grid grid-cols-[28px_minmax(0,1.4fr)_minmax(0,1.1fr)_minmax(0,0.8fr)] sm:grid-cols-[32px_minmax(0,1.4fr)_minmax(0,1fr)_minmax(0,0.8fr)_minmax(0,1fr)_minmax(0,1fr)_minmax(0,1fr)] items-center gap-x-2 px-2 sm:px-4";

interface Props {
  info: SymbolInfo;
  index: number;
  top: number;
  selected: boolean;
  starred: boolean;
  onOpen(symbol: string): void;
  onStar(symbol: string): void;
  onSelect(index: number): void;
}

/** One market. Re-renders only when its own symbol's price changes (at most every 100 ms), when
 * its stale mark flips, or when the table passes new props. A click anywhere on it (or Enter
 * while it has focus) opens the pair. */
export const MarketRow = memo(function MarketRow(props: Props) {
  const { info, index, top, selected, starred, onOpen, onStar, onSelect } = props;
  const entry = usePrice(info.symbol, 100);
  const stale = useStale(entry);
  const halted = useHalted(info.symbol);
  // A halted market's last price stands but does not move: shown muted, like a stale one.
  const notLive = stale || halted !== null;
  const change = entry ? signOf(entry.priceChangePercent) : 0;
  const tick = entry?.prev ? Math.sign(Number(entry.price) - Number(entry.prev)) : 0;

  const showAge = (e: MouseEvent<HTMLDivElement>) => {
    const s = useCryptoStore.getState();
    const current = s.prices[info.symbol];
    e.currentTarget.title = current
      ? `${info.symbol}: updated ${formatAge(priceAge(current, Date.now(), s.clockOffsetMs))} ago · source ${current.source}${
          stale ? " · stale" : ""
        }${halted ? ` · trading halted (${halted})` : ""}`
      : `${info.symbol}: no price yet`;
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
      style={{ height: ROW_HEIGHT, transform: `translateY(${top}px)` }}
      className={`${GRID} absolute left-0 top-0 w-full cursor-pointer border-b border-line/60 text-sm transition-colors hover:bg-panel-2 focus-visible:outline focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-brand ${
        selected ? "bg-panel-2 outline outline-1 -outline-offset-1 outline-brand/60" : ""
      }`}
    >
      <div role="cell">
        <StarButton symbol={info.symbol} starred={starred} onToggle={onStar} />
      </div>
      <div role="cell" className="flex min-w-0 items-center gap-1.5">
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
      <div
        role="cell"
        data-testid="price"
        // Stale: the badge and a muted price, not a faded row (faded text falls below AA).
        className={`tabular truncate text-right font-medium ${
          notLive ? "text-muted" : tick > 0 ? "text-up" : tick < 0 ? "text-down" : ""
        }`}
      >
        {entry && !halted ? (
          <FlashValue value={entry.price}>{formatPrice(entry.price)}</FlashValue>
        ) : entry ? (
          formatPrice(entry.price)
        ) : (
          <span className="text-muted">—</span>
        )}
      </div>
      <div role="cell" className="text-right">
        {entry ? (
          <span
            data-testid="change"
            className={`tabular inline-block min-w-[4.5rem] rounded px-1.5 py-0.5 text-right text-xs font-medium sm:text-sm ${
              change > 0
                ? "bg-up-soft text-up"
                : change < 0
                  ? "bg-down-soft text-down"
                  : "text-muted"
            }`}
          >
            {formatPercent(entry.priceChangePercent)}
          </span>
        ) : (
          <span className="text-muted">—</span>
        )}
      </div>
      <div role="cell" className="tabular hidden truncate text-right text-muted sm:block">
        {entry ? formatPrice(entry.high24h) : "—"}
      </div>
      <div role="cell" className="tabular hidden truncate text-right text-muted sm:block">
        {entry ? formatPrice(entry.low24h) : "—"}
      </div>
      <div
        role="cell"
        className="tabular hidden truncate text-right sm:block"
        title={entry ? `${formatAmount(entry.volume24h)} ${info.quoteAsset}` : undefined}
      >
        {entry ? formatCompact(entry.volume24h) : "—"}
      </div>
    </div>
  );
});
