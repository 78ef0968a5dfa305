/** Portfolio valuation: exact decimal sums from the wire's strings, numbers only for display. */
import { add, dec, mul, ratio, sub, toNumber, ZERO, type Dec } from "./decimal";

export interface HoldingLike {
  symbol: string;
  amount: string;
  avgPrice: string;
}

export interface HoldingValue<H extends HoldingLike> {
  holding: H;
  price: string | null;
  value: number | null;
  cost: number;
  pnl: number | null;
  pnlPct: number | null;
}

export interface Valuation<H extends HoldingLike> {
  rows: HoldingValue<H>[];
  total: number;
  cost: number;
  /** P&L of the holdings that have a price (the others are left out of value and P&L). */
  pnl: number;
  pnlPct: number | null;
  priced: number;
}

export function valuate<H extends HoldingLike>(
  holdings: readonly H[],
  prices: readonly (string | null)[],
): Valuation<H> {
  let total: Dec = ZERO;
  let totalCost: Dec = ZERO;
  let pricedCost: Dec = ZERO;
  let priced = 0;
  const rows = holdings.map((holding, i): HoldingValue<H> => {
    const amount = dec(holding.amount) ?? ZERO;
    const cost = mul(amount, dec(holding.avgPrice) ?? ZERO);
    totalCost = add(totalCost, cost);
    const price = prices[i] ?? null;
    const p = price !== null ? dec(price) : null;
    if (p === null)
      return { holding, price, value: null, cost: toNumber(cost), pnl: null, pnlPct: null };
    const value = mul(amount, p);
    const pnl = sub(value, cost);
    total = add(total, value);
    pricedCost = add(pricedCost, cost);
    priced += 1;
    return {
      holding,
      price,
      value: toNumber(value),
      cost: toNumber(cost),
      pnl: toNumber(pnl),
      pnlPct: cost === ZERO ? null : ratio(pnl, cost) * 100,
    };
  });
  const pnl = sub(total, pricedCost);
  return {
    rows,
    total: toNumber(total),
    cost: toNumber(totalCost),
    pnl: toNumber(pnl),
    pnlPct: pricedCost === ZERO ? null : ratio(pnl, pricedCost) * 100,
    priced,
  };
}
