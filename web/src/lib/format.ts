/**
 * Number formatting for the user's locale, with the precision a trader expects per magnitude:
 * 98,765.43 · 3.4521 · 0.00001234. Inputs are the wire's decimal strings (or numbers computed for
 * display); nothing here feeds back into the data.
 */
const cache = new Map<string, Intl.NumberFormat>();

function nf(locale: string | undefined, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale ?? ""}|${JSON.stringify(opts)}`;
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, opts);
    cache.set(key, f);
  }
  return f;
}

function toNum(v: string | number): number {
  return typeof v === "number" ? v : Number(v);
}

/** Fraction digits for a price of this size: fixed per magnitude (as an exchange's tick size
 * would be), so a ticking price changes digits, never its length. */
export function priceDigits(abs: number): { min: number; max: number } {
  if (abs >= 10 || abs === 0) return { min: 2, max: 2 };
  if (abs >= 1) return { min: 4, max: 4 };
  // Below 1: four significant digits, e.g. 0.5123, 0.001234, 0.00001210.
  const lead = Math.floor(-Math.log10(abs)); // zeros right after the point
  const digits = Math.min(12, lead + 4);
  return { min: digits, max: digits };
}

export function formatPrice(v: string | number, locale?: string): string {
  const n = toNum(v);
  if (!Number.isFinite(n)) return "—";
  const { min, max } = priceDigits(Math.abs(n));
  return nf(locale, { minimumFractionDigits: min, maximumFractionDigits: max }).format(n);
}

/** A chart axis's labels: one precision for the whole axis (the chart's), grouped as the
 * tables are, so 93409.5 reads "93,409.50" (or "93.409,50" in de-DE). */
export function axisPriceFormatter(precision: number, locale?: string): (n: number) => string {
  const f = nf(locale, { minimumFractionDigits: precision, maximumFractionDigits: precision });
  return (n) => (Number.isFinite(n) ? f.format(n) : "—");
}

/** The chart's hover readout of one candle. */
export function formatOhlc(
  bar: { open: number; high: number; low: number; close: number },
  fmt: (n: number) => string,
): string {
  return `O ${fmt(bar.open)} H ${fmt(bar.high)} L ${fmt(bar.low)} C ${fmt(bar.close)}`;
}

/** "+2.35%" / "−1.20%" / "0.00%". */
export function formatPercent(v: string | number, locale?: string): string {
  const n = toNum(v);
  if (!Number.isFinite(n)) return "—";
  return (
    nf(locale, {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
      signDisplay: "exceptZero",
    }).format(n) + "%"
  );
}

/** Large amounts in compact form with fixed decimals, so a column lines up: 1.23B, 456.70M. */
export function formatCompact(v: string | number, locale?: string): string {
  const n = toNum(v);
  if (!Number.isFinite(n)) return "—";
  if (Math.abs(n) < 1000) return formatPrice(n, locale);
  return nf(locale, {
    notation: "compact",
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(n);
}

/** Money in the quote currency, two decimals, optional sign: "+1,234.50". */
export function formatMoney(v: number, locale?: string, signed = false): string {
  if (!Number.isFinite(v)) return "—";
  const abs = Math.abs(v);
  const digits = abs !== 0 && abs < 1 ? priceDigits(abs) : { min: 2, max: 2 };
  return nf(locale, {
    minimumFractionDigits: digits.min,
    maximumFractionDigits: digits.max,
    signDisplay: signed ? "exceptZero" : "auto",
  }).format(v);
}

/** An amount of coins: as many decimals as it has, up to 8. */
export function formatAmount(v: string | number, locale?: string): string {
  const n = toNum(v);
  if (!Number.isFinite(n)) return "—";
  return nf(locale, { maximumFractionDigits: 8 }).format(n);
}

/** "0.4 s", "12 s", "3 min", "2 h", "3 d". */
export function formatAge(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** Sign of a decimal string without parsing it: -1, 0 or 1. */
export function signOf(v: string): -1 | 0 | 1 {
  if (v.startsWith("-")) return /[1-9]/.test(v) ? -1 : 0;
  return /[1-9]/.test(v) ? 1 : 0;
}
