/**
 * Just enough exact decimal arithmetic for a portfolio: fixed point with 18 fraction digits on
 * bigint, so amounts × prices given as exchange strings sum without float drift. Convert to a
 * number only to display or draw.
 */
const SCALE = 18;
const ONE = 10n ** BigInt(SCALE);
const DECIMAL_RE = /^(-)?(\d+)(?:\.(\d+))?$/;

export type Dec = bigint & { readonly __dec: unique symbol };

export function isDecimalString(s: string): boolean {
  return DECIMAL_RE.test(s.trim());
}

/** Parse "123.456" (digits beyond 18 decimals are cut); null when it is not a plain decimal. */
export function dec(s: string): Dec | null {
  const m = DECIMAL_RE.exec(s.trim());
  if (!m) return null;
  const [, sign, int = "0", frac = ""] = m;
  const fracPart = (frac + "0".repeat(SCALE)).slice(0, SCALE);
  const v = BigInt(int) * ONE + BigInt(fracPart);
  return (sign ? -v : v) as Dec;
}

export const ZERO = 0n as Dec;

export function add(a: Dec, b: Dec): Dec {
  return (a + b) as Dec;
}

export function sub(a: Dec, b: Dec): Dec {
  return (a - b) as Dec;
}

export function mul(a: Dec, b: Dec): Dec {
  return ((a * b) / ONE) as Dec;
}

/** a / b, cut (toward zero) to 18 decimals; throws on b = 0. */
export function div(a: Dec, b: Dec): Dec {
  if (b === 0n) throw new RangeError("division by zero");
  return ((a * ONE) / b) as Dec;
}

export function compare(a: Dec, b: Dec): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isZero(a: Dec): boolean {
  return a === 0n;
}

export function isNegative(a: Dec): boolean {
  return a < 0n;
}

/** Exact text, trailing zeros dropped: "1.5", "-0.00001234", "42". */
export function toDecimalString(a: Dec): string {
  const neg = a < 0n;
  const abs = neg ? -a : a;
  const int = abs / ONE;
  const frac = (abs % ONE).toString().padStart(SCALE, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${int}${frac ? `.${frac}` : ""}`;
}

export function toNumber(a: Dec): number {
  return Number(toDecimalString(a));
}

/** a / b as a float, for percentages on screen. */
export function ratio(a: Dec, b: Dec): number {
  if (b === 0n) return 0;
  return toNumber(a) / toNumber(b);
}
