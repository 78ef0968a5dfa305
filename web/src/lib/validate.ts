/** Validation of what a user types: amounts and prices as plain, non-negative decimals. */
import { isDecimalString } from "./decimal";

export interface HoldingInput {
  symbol: string;
  amount: string;
  avgPrice: string;
}

export type HoldingErrors = Partial<Record<keyof HoldingInput, string>>;

const SYMBOL_RE = /^[A-Z0-9]{2,20}$/;
const MAX_DIGITS = 30;

/** "1,5" and " 2 " are accepted as 1.5 and 2; the result is the canonical string. */
export function normaliseNumber(raw: string): string {
  return raw.trim().replace(/_/g, "").replace(",", ".");
}

function checkNumber(raw: string, what: string, allowZero: boolean): string | undefined {
  const v = normaliseNumber(raw);
  if (v === "") return `${what} is required`;
  if (v.startsWith("-")) return `${what} cannot be negative`;
  if (!isDecimalString(v)) return `${what} must be a number like 0.5 or 1200`;
  if (v.replace(/\D/g, "").length > MAX_DIGITS) return `${what} has too many digits`;
  if (!allowZero && !/[1-9]/.test(v)) return `${what} must be more than 0`;
  return undefined;
}

export function validateHolding(input: HoldingInput, known?: ReadonlySet<string>): HoldingErrors {
  const errors: HoldingErrors = {};
  const symbol = input.symbol.trim().toUpperCase();
  if (!SYMBOL_RE.test(symbol)) errors.symbol = "Pick a market, e.g. BTCUSDT";
  else if (known && known.size > 0 && !known.has(symbol))
    errors.symbol = `Unknown market ${symbol}`;
  const amount = checkNumber(input.amount, "Amount", false);
  if (amount) errors.amount = amount;
  const price = checkNumber(input.avgPrice, "Average buy price", true);
  if (price) errors.avgPrice = price;
  return errors;
}

export function isValid(errors: object): boolean {
  return Object.keys(errors).length === 0;
}
