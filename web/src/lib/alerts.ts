/**
 * Alert rules as pure functions. Every alert fires on a transition: its condition turning true
 * after a price that left it false. The first price an alert sees only records which side it is
 * on, so an alert created while already true waits for the price to cross back first.
 */
import type { CandleData } from "../protocol";
import { dec } from "./decimal";
import { formatAmount, formatPercent, formatPrice } from "./format";

export type AlertCondition =
  | { kind: "above"; price: string }
  | { kind: "below"; price: string }
  | { kind: "move"; percent: string; minutes: number };

/** What happens after an alert fires. */
export type RearmRule =
  | { kind: "once" }
  /** Fires again on the next transition: the condition must turn false and true again. */
  | { kind: "crossBack" }
  /** As crossBack, but a transition within `minutes` of the last firing is let pass silently. */
  | { kind: "cooldown"; minutes: number };

export interface Alert {
  id: string;
  symbol: string;
  condition: AlertCondition;
  /** The currency its price threshold is in: the market's quote currency (USDT for BTCUSDT),
   * so it is compared exactly with the market's own prices; the user's display currency only
   * changes how it is shown (converted, marked "≈"). */
  currency: string;
  rearm: RearmRule;
  /** "triggered": fired under the "once" rule and waits for the user to re-arm it. */
  state: "active" | "triggered";
  /** Whether the condition was false at the last price seen: the next true fires. null until
   * the alert has seen a price. */
  armed: boolean | null;
  createdAt: number;
  triggeredAt: number | null;
  triggeredPrice: string | null;
  message: string | null;
}

/** Quote currencies markets end with, longest first where one ends another (FDUSD before USD). */
const QUOTES = [
  "FDUSD",
  "USDT",
  "USDC",
  "TUSD",
  "BUSD",
  "USD",
  "EUR",
  "GBP",
  "TRY",
  "BRL",
  "JPY",
  "BTC",
  "ETH",
  "BNB",
];

/** The quote currency a symbol's name ends with (BTCUSDT → USDT); USDT when none is known,
 * the only quote the markets had before others were listed. */
export function guessQuote(symbol: string): string {
  return QUOTES.find((q) => symbol.length > q.length && symbol.endsWith(q)) ?? "USDT";
}

export function describeCondition(c: AlertCondition, locale?: string, currency?: string): string {
  const unit = currency ? ` ${currency}` : "";
  switch (c.kind) {
    case "above":
      return `crosses above ${formatPrice(c.price, locale)}${unit}`;
    case "below":
      return `crosses below ${formatPrice(c.price, locale)}${unit}`;
    case "move":
      return `moves ±${formatAmount(c.percent, locale)}% within ${c.minutes} min`;
  }
}

export function describeRearm(r: RearmRule): string {
  switch (r.kind) {
    case "once":
      return "once";
    case "crossBack":
      return "every time";
    case "cooldown":
      return `at most every ${r.minutes} min`;
  }
}

/** Whether a crossing condition holds at `price` (exact decimal comparison; a float would call
 * 0.100000000000000001 equal to 0.1). null when either number is unreadable. */
export function holdsAt(c: AlertCondition & { price: string }, price: string): boolean | null {
  const p = dec(price);
  const t = dec(c.price);
  if (p === null || t === null) return null;
  return c.kind === "above" ? p >= t : p <= t;
}

/** The form's note for a crossing alert that already holds at the current price. */
export function alreadyTrueNote(
  symbol: string,
  c: AlertCondition,
  price: string | undefined,
  locale?: string,
): string | null {
  if (c.kind === "move" || price === undefined || holdsAt(c, price) !== true) return null;
  const side = c.kind === "above" ? "above" : "below";
  return `${symbol} is already ${side} ${formatPrice(c.price, locale)} — this fires when it crosses back ${side}`;
}

export interface WindowMove {
  pct: number;
  from: string;
}

/** The largest move (%) to `price` from the extremes of the candles that overlap the last
 * `minutes` before `now`: up from the lowest low, down from the highest high. */
export function windowMove(
  candles: readonly CandleData[],
  price: string,
  now: number,
  minutes: number,
): WindowMove | null {
  const p = Number(price);
  const start = now - minutes * 60_000;
  let low: string | null = null;
  let high: string | null = null;
  for (const c of candles) {
    if (c.closeTime < start || c.openTime > now) continue;
    if (low === null || Number(c.low) < Number(low)) low = c.low;
    if (high === null || Number(c.high) > Number(high)) high = c.high;
  }
  if (low === null || high === null || !(p > 0) || !(Number(low) > 0)) return null;
  const up = ((p - Number(low)) / Number(low)) * 100;
  const down = ((p - Number(high)) / Number(high)) * 100;
  return up >= -down ? { pct: up, from: low } : { pct: down, from: high };
}

/** What one price tells an alert: whether its condition holds, and the message if it fires. */
export interface Observation {
  holds: boolean;
  message: string;
}

/** The observation for `price`; null when it cannot be judged yet (a move alert without its
 * candles, an unreadable number). */
export function observe(
  alert: Alert,
  price: string,
  now: number,
  candles: readonly CandleData[] | undefined,
  locale?: string,
): Observation | null {
  const c = alert.condition;
  if (c.kind !== "move") {
    const holds = holdsAt(c, price);
    if (holds === null) return null;
    const side = c.kind === "above" ? "above" : "below";
    return {
      holds,
      message: `${alert.symbol} crossed ${side} ${formatPrice(c.price, locale)}: ${formatPrice(price, locale)}`,
    };
  }
  if (!candles) return null;
  const move = windowMove(candles, price, now, c.minutes);
  if (!move) return null;
  return {
    holds: Math.abs(move.pct) >= Number(c.percent),
    message: `${alert.symbol} moved ${formatPercent(move.pct, locale)} within ${c.minutes} min: ${formatPrice(
      move.from,
      locale,
    )} → ${formatPrice(price, locale)}`,
  };
}

export interface Step {
  /** The alert after this price (the same object when nothing changed). */
  alert: Alert;
  /** The message when it fires now. */
  fired: string | null;
}

/** Advances `alert` by one observation at `now`, by its re-arm rule. */
export function step(alert: Alert, seen: Observation, now: number, price: string): Step {
  if (alert.state !== "active") return { alert, fired: null };
  if (!seen.holds)
    return alert.armed === true ? { alert, fired: null } : set(alert, { armed: true });
  if (alert.armed !== true)
    return alert.armed === false ? { alert, fired: null } : set(alert, { armed: false });
  const r = alert.rearm;
  if (
    r.kind === "cooldown" &&
    alert.triggeredAt !== null &&
    now - alert.triggeredAt < r.minutes * 60_000
  ) {
    return set(alert, { armed: false });
  }
  const fired: Alert = {
    ...alert,
    armed: false,
    state: r.kind === "once" ? "triggered" : "active",
    triggeredAt: now,
    triggeredPrice: price,
    message: seen.message,
  };
  return { alert: fired, fired: seen.message };
}

function set(alert: Alert, patch: Partial<Alert>): Step {
  return { alert: { ...alert, ...patch }, fired: null };
}

export type AlertField = "symbol" | "price" | "percent" | "minutes" | "cooldown";

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

export function validateRearm(r: RearmRule): AlertError | null {
  if (r.kind !== "cooldown") return null;
  return Number.isInteger(r.minutes) && r.minutes >= 1 && r.minutes <= 10080
    ? null
    : { field: "cooldown", message: "Cooldown must be a whole number of minutes, 1 to 10080" };
}
