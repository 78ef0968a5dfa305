/**
 * Currency conversion with the server's rates (`GET /api/rates`: units of a currency per 1 USDT).
 * Exact: decimal strings through lib/decimal.ts; the one division (from a currency other than
 * USDT) is cut at decimal.ts's 18 fraction digits, far below any digit shown.
 */
import type { FxRate } from "../protocol/generated";
import { isDecimal, isObject } from "../protocol";
import { dec, div, isZero, mul, toDecimalString } from "./decimal";

/** What every price on the wire is in, and what the rates are per one of. */
export const BASE_CURRENCY = "USDT";

export interface RatesIndex {
  byCurrency: ReadonlyMap<string, FxRate>;
  timestamp: number | null;
}

export const EMPTY_RATES: RatesIndex = { byCurrency: new Map(), timestamp: null };

const CURRENCY_RE = /^[A-Z]{3,5}$/;

function readRate(v: unknown): FxRate | null {
  if (!isObject(v)) return null;
  const { currency, rate, source, asOf } = v;
  if (typeof currency !== "string" || !CURRENCY_RE.test(currency)) return null;
  if (!isDecimal(rate) || rate.startsWith("-")) return null;
  const r = dec(rate);
  if (r === null || isZero(r)) return null;
  if (typeof asOf !== "number" || !Number.isFinite(asOf)) return null;
  return { currency, rate, source: typeof source === "string" ? source : "unknown", asOf };
}

/** The rates a body holds; unreadable entries are left out (their currency is not offered). */
export function readRates(raw: unknown): RatesIndex {
  const list = isObject(raw) && Array.isArray(raw.rates) ? raw.rates : [];
  const byCurrency = new Map<string, FxRate>();
  for (const item of list) {
    const r = readRate(item);
    if (r && r.currency !== BASE_CURRENCY && !byCurrency.has(r.currency))
      byCurrency.set(r.currency, r);
  }
  const ts = isObject(raw) ? raw.timestamp : null;
  return { byCurrency, timestamp: typeof ts === "number" && Number.isFinite(ts) ? ts : null };
}

/** The rate strings one conversion needs: units of `to` and of `from` per 1 USDT ("1" for USDT
 * itself). Plain strings, so a selector sees no change while the rates stay the same. */
export interface Conversion {
  from: string;
  to: string;
  toRate: string;
  fromRate: string;
}

export function rateOf(currency: string, rates: ReadonlyMap<string, FxRate>): string | null {
  return currency === BASE_CURRENCY ? "1" : (rates.get(currency)?.rate ?? null);
}

/** The conversion from `from` to `to`, or null when none is needed (the same currency) or none
 * is possible (a rate missing). */
export function conversionOf(
  from: string,
  to: string,
  rates: ReadonlyMap<string, FxRate>,
): Conversion | null {
  if (from === to) return null;
  const toRate = rateOf(to, rates);
  const fromRate = rateOf(from, rates);
  return toRate && fromRate ? { from, to, toRate, fromRate } : null;
}

/** `value` (a decimal string in `c.from`) in `c.to`, as an exact decimal string; null when the
 * value is not a decimal. */
export function applyConversion(value: string, c: Conversion): string | null {
  let v = dec(value);
  if (v === null) return null;
  if (c.toRate !== "1") {
    const r = dec(c.toRate);
    if (r === null) return null;
    v = mul(v, r);
  }
  if (c.fromRate !== "1") {
    const r = dec(c.fromRate);
    if (r === null || isZero(r)) return null;
    v = div(v, r);
  }
  return toDecimalString(v);
}

/** `value` in `from` shown in `to`: the value itself when they are the same currency, null when
 * a rate is missing. */
export function convert(
  value: string,
  from: string,
  to: string,
  rates: ReadonlyMap<string, FxRate>,
): string | null {
  if (from === to) return dec(value) === null ? null : value;
  const c = conversionOf(from, to, rates);
  return c ? applyConversion(value, c) : null;
}

/** Whether values in `from` can be shown in `to`. */
export function canConvert(from: string, to: string, rates: ReadonlyMap<string, FxRate>): boolean {
  if (from === to) return true;
  return (from === BASE_CURRENCY || rates.has(from)) && (to === BASE_CURRENCY || rates.has(to));
}
