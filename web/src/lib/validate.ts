/** Validation of what a user types: a holding's amount and price read by `parseDecimal` in the
 * user's locale into canonical, non-negative decimal strings. */
import type { LotFields, Side } from "./lots";
import { parseDecimal, type ParsedDecimal } from "./parseDecimal";

export interface HoldingInput {
  symbol: string;
  amount: string;
  avgPrice: string;
}

export type HoldingErrors = Partial<Record<keyof HoldingInput, string>>;

export type ReadHolding =
  { ok: true; holding: HoldingInput } | { ok: false; errors: HoldingErrors };

const SYMBOL_RE = /^[A-Z0-9]{2,20}$/;
const MAX_DIGITS = 30;

export interface ReadOptions {
  /** The locale the text was typed in; the browser's by default. */
  locale?: string;
  /** Reads one number instead of `parseDecimal(raw, locale)` (CSV import: the file's notation). */
  parse?: (raw: string) => ParsedDecimal;
}

export type ReadNumber = { ok: true; value: string } | { ok: false; error: string };

/** A non-negative amount as typed, canonical ("100000", "0.5"), or why not. */
export function readAmount(
  raw: string,
  what: string,
  opts: ReadOptions & { allowZero?: boolean } = {},
): ReadNumber {
  if (raw.trim() === "") return { ok: false, error: `${what} is required` };
  const r = opts.parse ? opts.parse(raw) : parseDecimal(raw, opts.locale);
  if (!r.ok) return { ok: false, error: r.error };
  if (r.value.startsWith("-")) return { ok: false, error: `${what} cannot be negative` };
  if (r.value.replace(/\D/g, "").length > MAX_DIGITS) {
    return { ok: false, error: `${what} has too many digits` };
  }
  if (!opts.allowZero && r.value === "0")
    return { ok: false, error: `${what} must be more than 0` };
  return r;
}

function checkSymbol(symbol: string, known: ReadonlySet<string> | undefined): string | null {
  if (!SYMBOL_RE.test(symbol)) return "Pick a market, e.g. BTCUSDT";
  if (known && known.size > 0 && !known.has(symbol)) return `Unknown market ${symbol}`;
  return null;
}

/** The holding with canonical decimal strings, or an error per field. */
export function readHolding(
  input: HoldingInput,
  opts: ReadOptions & { known?: ReadonlySet<string> } = {},
): ReadHolding {
  const errors: HoldingErrors = {};
  const symbol = input.symbol.trim().toUpperCase();
  const symbolError = checkSymbol(symbol, opts.known);
  if (symbolError) errors.symbol = symbolError;
  const amount = readAmount(input.amount, "Amount", opts);
  if (!amount.ok) errors.amount = amount.error;
  const price = readAmount(input.avgPrice, "Average buy price", { ...opts, allowZero: true });
  if (!price.ok) errors.avgPrice = price.error;
  if (!amount.ok || !price.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, holding: { symbol, amount: amount.value, avgPrice: price.value } };
}

/** A buy or sell as typed in the form (fee may be left empty). */
export interface LotInput {
  symbol: string;
  side: Side;
  amount: string;
  price: string;
  fee: string;
}

export type LotErrors = Partial<Record<keyof LotInput, string>>;

export type ReadLot = { ok: true; lot: LotFields } | { ok: false; errors: LotErrors };

/** The lot with canonical decimal strings (an empty fee is "0"), or an error per field. */
export function readLot(
  input: LotInput,
  opts: ReadOptions & { known?: ReadonlySet<string> } = {},
): ReadLot {
  const errors: LotErrors = {};
  const symbol = input.symbol.trim().toUpperCase();
  const symbolError = checkSymbol(symbol, opts.known);
  if (symbolError) errors.symbol = symbolError;
  if (input.side !== "buy" && input.side !== "sell") errors.side = "Choose buy or sell";
  const amount = readAmount(input.amount, "Amount", opts);
  if (!amount.ok) errors.amount = amount.error;
  const price = readAmount(input.price, "Price", { ...opts, allowZero: true });
  if (!price.ok) errors.price = price.error;
  const fee =
    input.fee.trim() === ""
      ? ({ ok: true, value: "0" } as const)
      : readAmount(input.fee, "Fee", { ...opts, allowZero: true });
  if (!fee.ok) errors.fee = fee.error;
  if (!amount.ok || !price.ok || !fee.ok || Object.keys(errors).length > 0) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    lot: { symbol, side: input.side, amount: amount.value, price: price.value, fee: fee.value },
  };
}
