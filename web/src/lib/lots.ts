/**
 * A portfolio as lots: every buy and sell as entered, rolled up per market into one position by
 * the average-cost method. A buy adds its amount and its cost (amount × price + fee); a sell takes
 * out the position's average cost for the amount sold, and its proceeds (amount × price − fee)
 * minus that cost are realised P&L. Amounts stay decimal strings; the arithmetic is exact
 * (fixed point, 18 decimals; only the average-cost share of a sell is a division, cut there).
 */
import { add, compare, dec, div, mul, sub, toDecimalString, ZERO, type Dec } from "./decimal";

export type Side = "buy" | "sell";

/** One buy or sell as the user entered it (numbers canonical decimal strings). */
export interface LotFields {
  symbol: string;
  side: Side;
  amount: string;
  /** Price per coin in the quote currency. */
  price: string;
  /** In the quote currency; "0" when none. */
  fee: string;
}

export interface Lot extends LotFields {
  id: string;
  /** When the trade happened (ms); lots apply in this order. */
  at: number;
}

export interface Position {
  symbol: string;
  /** Oldest first. */
  lots: Lot[];
  /** Coins held now. */
  amount: string;
  /** Cost of the coins held now, fees included. */
  cost: string;
  /** cost / amount; null when nothing is held. */
  avgCost: string | null;
  /** Sum of (proceeds − average cost) over the sells. */
  realised: string;
  fees: string;
}

/** Lots in the order they apply: by time, then as entered. */
export function chronological<L extends { at: number }>(lots: readonly L[]): L[] {
  return lots
    .map((lot, i) => ({ lot, i }))
    .sort((a, b) => a.lot.at - b.lot.at || a.i - b.i)
    .map((x) => x.lot);
}

/** A position while its lots are applied. */
export interface Running {
  amount: Dec;
  cost: Dec;
  realised: Dec;
  fees: Dec;
}

/** The position after one more lot, or null when it sells more than is held. */
export function applyLot(r: Running, lot: LotFields): Running | null {
  const amount = dec(lot.amount) ?? ZERO;
  const price = dec(lot.price) ?? ZERO;
  const fee = dec(lot.fee) ?? ZERO;
  const fees = add(r.fees, fee);
  if (lot.side === "buy") {
    return {
      amount: add(r.amount, amount),
      cost: add(r.cost, add(mul(amount, price), fee)),
      realised: r.realised,
      fees,
    };
  }
  const order = compare(amount, r.amount);
  if (order > 0) return null;
  // Selling everything takes the whole cost, so no rounding remainder is left behind.
  const costOut = order === 0 ? r.cost : div(mul(r.cost, amount), r.amount);
  const proceeds = sub(mul(amount, price), fee);
  return {
    amount: sub(r.amount, amount),
    cost: sub(r.cost, costOut),
    realised: add(r.realised, sub(proceeds, costOut)),
    fees,
  };
}

export const NOTHING_HELD: Running = { amount: ZERO, cost: ZERO, realised: ZERO, fees: ZERO };

/** One position per market, in the order each was first bought; null for a market whose sells
 * exceed its holdings at some point (the store never keeps such lots). */
export function rollUp(lots: readonly Lot[]): Position[] {
  const bySymbol = new Map<string, Lot[]>();
  for (const lot of chronological(lots)) {
    const list = bySymbol.get(lot.symbol) ?? [];
    list.push(lot);
    bySymbol.set(lot.symbol, list);
  }
  const positions: Position[] = [];
  for (const [symbol, list] of bySymbol) {
    let r: Running = NOTHING_HELD;
    for (const lot of list) r = applyLot(r, lot) ?? r;
    positions.push({
      symbol,
      lots: list,
      amount: toDecimalString(r.amount),
      cost: toDecimalString(r.cost),
      avgCost: r.amount === ZERO ? null : toDecimalString(div(r.cost, r.amount)),
      realised: toDecimalString(r.realised),
      fees: toDecimalString(r.fees),
    });
  }
  return positions;
}

/** The first lot (chronologically) of `symbol` that sells more than is held then, if any. */
export function firstOversold(lots: readonly Lot[], symbol: string): Lot | null {
  let r: Running = NOTHING_HELD;
  for (const lot of chronological(lots)) {
    if (lot.symbol !== symbol) continue;
    const next = applyLot(r, lot);
    if (!next) return lot;
    r = next;
  }
  return null;
}

/** Coins of `symbol` held after all `lots`. */
export function heldAmount(lots: readonly Lot[], symbol: string): string {
  const p = rollUp(lots.filter((l) => l.symbol === symbol))[0];
  return p ? p.amount : "0";
}
