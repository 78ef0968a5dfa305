/** Currencies on screen: the one the portfolio's lots are recorded in, and how an amount in any
 * currency is written ("€86,123.45", "0.0523 BTC"). Every money label reads from here. */
import { formatCompact, formatPrice, priceDigits } from "./format";

/** Lots and alert thresholds are recorded in the quote currency of the markets held (USDT). */
export const PORTFOLIO_CURRENCY = "USDT";

/** Marks a value converted with a rate (not the market's own number). */
export const CONVERTED_MARK = "≈";

const ISO_RE = /^[A-Z]{3}$/;
const formats = new Map<string, Intl.NumberFormat | null>();

function currencyFormat(
  currency: string,
  digits: { min: number; max: number },
  compact: boolean,
  locale?: string,
): Intl.NumberFormat | null {
  const key = `${locale ?? ""}|${currency}|${digits.min}|${digits.max}|${compact}`;
  let f = formats.get(key);
  if (f === undefined) {
    try {
      f = new Intl.NumberFormat(locale, {
        style: "currency",
        currency,
        currencyDisplay: "narrowSymbol",
        minimumFractionDigits: digits.min,
        maximumFractionDigits: digits.max,
        ...(compact ? { notation: "compact" as const } : {}),
      });
    } catch {
      f = null;
    }
    formats.set(key, f);
  }
  return f;
}

/** An amount of a currency: a fiat with its sign ("€86,123.45", "¥1.2M" when compact), any
 * other currency (USDT, BTC) as digits and code ("0.0523 BTC"). */
export function formatMoneyIn(
  v: string | number,
  currency: string,
  opts: { locale?: string; compact?: boolean } = {},
): string {
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n)) return "—";
  const compact = opts.compact === true && Math.abs(n) >= 1000;
  const f = ISO_RE.test(currency)
    ? currencyFormat(
        currency,
        compact ? { min: 2, max: 2 } : priceDigits(Math.abs(n)),
        compact,
        opts.locale,
      )
    : null;
  if (f) return f.format(n);
  const digits = compact ? formatCompact(n, opts.locale) : formatPrice(n, opts.locale);
  return `${digits} ${currency}`;
}
