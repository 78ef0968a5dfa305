/** Alert conditions and their evaluation: pure functions plus a small price-history window. */
import { dec } from "./decimal";
import { formatAmount, formatPercent, formatPrice } from "./format";

export type AlertCondition =
  | { kind: "above"; price: string }
  | { kind: "below"; price: string }
  | { kind: "move"; percent: string; minutes: number };

export interface Alert {
  id: string;
  symbol: string;
  condition: AlertCondition;
  state: "active" | "triggered";
  createdAt: number;
  triggeredAt: number | null;
  triggeredPrice: string | null;
  message: string | null;
}

export function describeCondition(c: AlertCondition, locale?: string): string {
  switch (c.kind) {
    case "above":
      return `above ${formatPrice(c.price, locale)}`;
    case "below":
      return `below ${formatPrice(c.price, locale)}`;
    case "move":
      return `moves ±${formatAmount(c.percent, locale)}% within ${c.minutes} min`;
  }
}

/** Price samples per symbol, thinned to one per `resolutionMs`, kept for `keepMs`. */
export class PriceHistory {
  private readonly samples = new Map<string, { t: number; p: number }[]>();

  constructor(
    private readonly keepMs = 24 * 3600_000,
    private readonly resolutionMs = 1000,
  ) {}

  push(symbol: string, t: number, price: number): void {
    let list = this.samples.get(symbol);
    if (!list) {
      list = [];
      this.samples.set(symbol, list);
    }
    const last = list[list.length - 1];
    if (last && t - last.t < this.resolutionMs) {
      // Same slot: keep the extremes visible by replacing only if it moved further.
      last.p = price;
      return;
    }
    list.push({ t, p: price });
    const cutoff = t - this.keepMs;
    let drop = 0;
    while (drop < list.length && list[drop]!.t < cutoff) drop += 1;
    if (drop) list.splice(0, drop);
  }

  /** The largest relative move (%) from any sample of the last `windowMs` to `price`. */
  largestMove(
    symbol: string,
    price: number,
    now: number,
    windowMs: number,
  ): { pct: number; from: number } | null {
    const list = this.samples.get(symbol);
    if (!list) return null;
    let best: { pct: number; from: number } | null = null;
    for (let i = list.length - 1; i >= 0; i -= 1) {
      const s = list[i]!;
      if (now - s.t > windowMs) break;
      if (s.p <= 0) continue;
      const pct = ((price - s.p) / s.p) * 100;
      if (!best || Math.abs(pct) > Math.abs(best.pct)) best = { pct, from: s.p };
    }
    return best;
  }

  forget(symbol: string): void {
    this.samples.delete(symbol);
  }
}

/** Whether `alert` fires at `price`; the message to show when it does. */
export function evaluate(
  alert: Alert,
  price: string,
  now: number,
  history: PriceHistory,
  locale?: string,
): string | null {
  if (alert.state !== "active") return null;
  const p = Number(price);
  if (!Number.isFinite(p)) return null;
  const c = alert.condition;
  // Thresholds compare exactly, as decimals: a float would call 0.100000000000000001 equal to 0.1.
  const exact = c.kind === "move" ? null : dec(price);
  const threshold = c.kind === "move" ? null : dec(c.price);
  switch (c.kind) {
    case "above":
      return exact !== null && threshold !== null && exact >= threshold
        ? `${alert.symbol} is above ${formatPrice(c.price, locale)}: ${formatPrice(price, locale)}`
        : null;
    case "below":
      return exact !== null && threshold !== null && exact <= threshold
        ? `${alert.symbol} is below ${formatPrice(c.price, locale)}: ${formatPrice(price, locale)}`
        : null;
    case "move": {
      const windowMs = c.minutes * 60_000;
      const move = history.largestMove(alert.symbol, p, now, windowMs);
      if (!move || Math.abs(move.pct) < Number(c.percent)) return null;
      return `${alert.symbol} moved ${formatPercent(move.pct, locale)} within ${c.minutes} min: ${formatPrice(
        move.from,
        locale,
      )} → ${formatPrice(price, locale)}`;
    }
  }
}

export type AlertField = "symbol" | "price" | "percent" | "minutes";

/** Why an alert cannot be saved, and the field to say it next to. */
export interface AlertError {
  field: AlertField;
  message: string;
}

/** Checks a condition whose numbers are canonical decimal strings (read by `parseDecimal`). */
export function validateCondition(c: AlertCondition): AlertError | null {
  const positive = (s: string) => /^\d+(\.\d+)?$/.test(s) && /[1-9]/.test(s);
  if (c.kind === "move") {
    if (!positive(c.percent) || Number(c.percent) > 1000) {
      return { field: "percent", message: "Percent must be a number above 0, at most 1000" };
    }
    if (!Number.isInteger(c.minutes) || c.minutes < 1 || c.minutes > 1440) {
      return { field: "minutes", message: "Minutes must be a whole number from 1 to 1440" };
    }
    return null;
  }
  return positive(c.price) ? null : { field: "price", message: "Price must be a number above 0" };
}
