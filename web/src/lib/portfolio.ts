/** Portfolio valuation: exact decimal sums from the wire's strings, numbers only for display. */
import { add, dec, mul, ratio, sub, toNumber, ZERO, type Dec } from "./decimal";

const ONE = dec("1") as Dec;

/** What valuation needs of a position (`rollUp` makes them). */
export interface PositionLike {
  symbol: string;
  /** Coins held. */
  amount: string;
  /** Their cost, fees included. */
  cost: string;
  realised: string;
}

export interface PositionValue<P extends PositionLike> {
  position: P;
  price: string | null;
  value: number | null;
  cost: number;
  /** Unrealised: value − cost. */
  pnl: number | null;
  pnlPct: number | null;
  realised: number;
}

export interface Valuation<P extends PositionLike> {
  rows: PositionValue<P>[];
  total: number;
  cost: number;
  /** Unrealised P&L of the positions that have a price (the others are left out of value and
   * P&L). */
  pnl: number;
  pnlPct: number | null;
  realised: number;
  priced: number;
}

/** Values and P&L of `positions` at `prices`, every money figure multiplied exactly by `rate`
 * (units of the shown currency per unit of the prices' currency; "1" shows them as they are). */
export function valuate<P extends PositionLike>(
  positions: readonly P[],
  prices: readonly (string | null)[],
  rate = "1",
): Valuation<P> {
  const r = dec(rate) ?? ONE;
  const money = (v: Dec) => toNumber(r === ONE ? v : mul(v, r));
  let total: Dec = ZERO;
  let totalCost: Dec = ZERO;
  let pricedCost: Dec = ZERO;
  let realised: Dec = ZERO;
  let priced = 0;
  const rows = positions.map((position, i): PositionValue<P> => {
    const amount = dec(position.amount) ?? ZERO;
    const cost = dec(position.cost) ?? ZERO;
    const gain = dec(position.realised) ?? ZERO;
    totalCost = add(totalCost, cost);
    realised = add(realised, gain);
    const price = prices[i] ?? null;
    const p = price !== null ? dec(price) : null;
    const base = { position, price, cost: money(cost), realised: money(gain) };
    if (p === null) return { ...base, value: null, pnl: null, pnlPct: null };
    const value = mul(amount, p);
    const pnl = sub(value, cost);
    total = add(total, value);
    pricedCost = add(pricedCost, cost);
    priced += 1;
    return {
      ...base,
      value: money(value),
      pnl: money(pnl),
      pnlPct: cost === ZERO ? null : ratio(pnl, cost) * 100,
    };
  });
  const pnl = sub(total, pricedCost);
  return {
    rows,
    total: money(total),
    cost: money(totalCost),
    pnl: money(pnl),
    pnlPct: pricedCost === ZERO ? null : ratio(pnl, pricedCost) * 100,
    realised: money(realised),
    priced,
  };
}

/** Value per coin (base asset): markets of one coin (BTCUSDT, BTCFDUSD) make one slice. */
export function allocationByCoin(
  rows: readonly { symbol: string; value: number | null }[],
  baseOf: (symbol: string) => string,
): { label: string; value: number }[] {
  const byCoin = new Map<string, number>();
  for (const r of rows) {
    const coin = baseOf(r.symbol);
    byCoin.set(coin, (byCoin.get(coin) ?? 0) + (r.value ?? 0));
  }
  return [...byCoin].map(([label, value]) => ({ label, value }));
}
