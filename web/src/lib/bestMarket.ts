/** Comparing markets of different quotes: their 24h volume in USDT, and the busiest market of
 * each coin (the "best market per coin" view). */
import type { FxRate } from "../protocol/generated";
import type { SymbolInfo } from "../protocol";
import { BASE_CURRENCY } from "./fx";

interface Priced {
  price: string;
  volume24h: string;
}

/** What one unit of `quote` is worth in USDT: 1 for USDT, the quote's own USDT market (BTC,
 * USDC), else its currency rate (EUR); NaN when unknown. For ordering only. */
export function quoteInUsdt(
  quote: string,
  prices: Readonly<Record<string, Priced | undefined>>,
  rates: ReadonlyMap<string, FxRate>,
): number {
  if (quote === BASE_CURRENCY) return 1;
  const market = prices[`${quote}${BASE_CURRENCY}`];
  if (market) return Number(market.price);
  const rate = rates.get(quote);
  return rate ? 1 / Number(rate.rate) : Number.NaN;
}

/** A market's 24h quote volume in USDT; NaN when unknown. */
export function volumeInUsdt(
  market: SymbolInfo,
  prices: Readonly<Record<string, Priced | undefined>>,
  rates: ReadonlyMap<string, FxRate>,
): number {
  const p = prices[market.symbol];
  if (!p) return Number.NaN;
  return Number(p.volume24h) * quoteInUsdt(market.quoteAsset, prices, rates);
}

/** One market per coin: the one with the most volume (unknown counts as none; ties go to the
 * first), in the order the coins first appear. */
export function bestPerCoin<T extends SymbolInfo>(
  markets: readonly T[],
  volume: (m: T) => number,
): T[] {
  const best = new Map<string, { m: T; v: number }>();
  for (const m of markets) {
    const raw = volume(m);
    const v = Number.isNaN(raw) ? -Infinity : raw;
    const cur = best.get(m.baseAsset);
    if (!cur || v > cur.v) best.set(m.baseAsset, { m, v });
  }
  return [...best.values()].map((b) => b.m);
}
