/**
 * Reads a number as a person types it, in their locale, into an exact decimal string; refuses to
 * guess when the text can be read two ways. Every numeric input (alerts, portfolio, CSV) uses it.
 *
 * Rules:
 * 1. The marks come from `Intl.NumberFormat(locale).formatToParts`: group mark, decimal mark,
 *    group sizes (3-3-3, or 3 then 2 in Indian locales: 1,00,000) and the locale's digits.
 * 2. Two readings are tried. The locale's: its group and decimal marks ("1.000,5" in de-DE). The
 *    plain one: a full stop as decimal mark, no group mark ("1000.5"), accepted in every locale.
 * 3. Spaces (U+0020, U+00A0, U+2009, U+202F) group in both readings: no locale writes a decimal
 *    mark as a space. ' and ’ are the same mark. In a locale whose decimal mark is a comma, a full
 *    stop also groups in the locale's reading (1.000,50 as written across much of Europe).
 *    Invisible direction marks (U+200E, U+061C, ...) are ignored, so what Intl writes reads back.
 * 4. A group mark sits between groups of the locale's sizes: exactly 3 digits after each mark
 *    (Indian locales: 3 after the last, 2 after the others; 3-3-3 is accepted there as well), and
 *    before the first no more digits than a group holds, not starting with 0 ("0,500" is not a
 *    grouped number). One kind of group mark per number, none after the decimal mark.
 * 5. At most one decimal mark, with at least one digit after it (".5" is 0.5, "5." is refused).
 *    One leading sign (+, -, or U+2212) is allowed; callers decide whether a negative is.
 * 6. One reading valid: its value. Both valid with different values (only one full stop, then 3
 *    digits, in a comma-decimal locale: "1.000" in de-DE or fr-FR): an error naming both, "Did
 *    you mean 1000 or 1,000?", and both values in `readings`. None valid: with a single mark, the same "Did you mean" question
 *    ("1,00" in en-US: "Did you mean 100 or 1.00?"); otherwise an example in the locale's format.
 * 7. The value is normalised: "." as decimal mark, no group marks, no leading zeros, no trailing
 *    fraction zeros, "-" for negatives, "0" for minus zero: "100000", "0.00001234", "-2.5".
 */

export type ParsedDecimal =
  | { ok: true; value: string }
  | {
      ok: false;
      error: string;
      /** Set when the text reads two ways (rule 6): both values, for a caller with more context
       * (a CSV file whose other cells show its notation) to choose from. */
      readings?: { grouped: string; decimal: string };
    };

interface Marks {
  group: string;
  decimal: string;
  /** Digits in the last group and in the ones before it: 3/3, or 3/2 in Indian locales. */
  primary: number;
  secondary: number;
  /** The locale's digits 0-9 when they are not ASCII (ar-EG), to map back. */
  digits: string[] | null;
  /** 1,234.50 as the locale writes it, for messages. */
  example: string;
}

const SPACES = /[\u0020\u00A0\u2009\u202F]/g;
// Invisible direction marks, as Intl writes around a sign in ar, fa and he.
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const APOSTROPHES = /[\u0027\u2019]/g;
const cache = new Map<string, Marks>();

/** One character per kind of mark: every space is " ", every apostrophe "'". */
function unify(s: string): string {
  return s.replace(SPACES, " ").replace(APOSTROPHES, "'");
}

function marksFor(locale: string | undefined): Marks {
  const key = locale ?? "";
  const hit = cache.get(key);
  if (hit) return hit;
  const parts = new Intl.NumberFormat(locale).formatToParts(123456789.5);
  const ints = parts.filter((p) => p.type === "integer").map((p) => p.value.length);
  const primary = ints.length > 1 ? ints[ints.length - 1]! : 3;
  const secondary = ints.length > 2 ? ints[ints.length - 2]! : primary;
  const plainFormat = new Intl.NumberFormat(locale, { useGrouping: false });
  const digits = Array.from({ length: 10 }, (_, i) => plainFormat.format(i));
  const marks: Marks = {
    group: unify(parts.find((p) => p.type === "group")?.value ?? ""),
    decimal: parts.find((p) => p.type === "decimal")?.value ?? ".",
    primary,
    secondary,
    digits: digits.join("") === "0123456789" ? null : digits,
    example: new Intl.NumberFormat(locale, { minimumFractionDigits: 2 }).format(1234.5),
  };
  cache.set(key, marks);
  return marks;
}

function canonical(int: string, frac: string): string {
  const i = int.replace(/^0+(?=\d)/, "") || "0";
  const f = frac.replace(/0+$/, "");
  return f ? `${i}.${f}` : i;
}

/** Groups as the sizes say: a first one not starting with 0 and no longer than the group after
 * it may be, then `others`-sized groups and a `last`-sized one. */
function groupedOk(groups: string[], others: number, last: number): boolean {
  const [first, ...rest] = groups;
  const longest = rest.length > 1 ? others : last;
  if (!first || first.length > longest || first.startsWith("0")) return false;
  return rest.every((g, i) => g.length === (i === rest.length - 1 ? last : others));
}

/** The digits of `int` written with one of `groupMarks`, or null if the grouping is wrong. */
function readInteger(int: string, groupMarks: string, m: Marks): string | null {
  if (/^\d*$/.test(int)) return int;
  const used = [...new Set(int.replace(/\d/g, ""))];
  if (used.length !== 1 || !groupMarks.includes(used[0]!)) return null;
  const groups = int.split(used[0]!);
  if (!groups.every((g) => /^\d+$/.test(g))) return null;
  const ok = groupedOk(groups, 3, 3) || groupedOk(groups, m.secondary, m.primary);
  return ok ? groups.join("") : null;
}

/** `body` (no sign) read with these marks, canonical; null when it does not fit them. */
function readWith(body: string, groupMarks: string, decimal: string, m: Marks): string | null {
  const at = body.indexOf(decimal);
  const int = at < 0 ? body : body.slice(0, at);
  const frac = at < 0 ? "" : body.slice(at + 1);
  if (at >= 0 && !/^\d+$/.test(frac)) return null;
  if (int === "" && frac === "") return null;
  const digits = readInteger(int, groupMarks, m);
  return digits === null ? null : canonical(digits, frac);
}

function question(...readings: (string | null)[]): string {
  return `Did you mean ${readings.filter((x) => x !== null).join(" or ")}?`;
}

/** For a single mark between digits: the two ways it may have been meant, as the locale writes
 * them (the digits as typed, so "1,00" asks about 100 and 1.00). */
function suggest(body: string, m: Marks): string | null {
  const marks = body.replace(/\d/g, "");
  if (marks.length !== 1 || marks === " ") return null;
  const [before = "", after = ""] = body.split(marks);
  if (after === "") return null;
  const grouped = before && !before.startsWith("0") ? before + after : null;
  return question(grouped, `${before || "0"}${m.decimal}${after}`);
}

export function parseDecimal(raw: string, locale?: string): ParsedDecimal {
  const m = marksFor(locale);
  let s = unify(raw.replace(BIDI, "").trim());
  if (m.digits) {
    const local = m.digits;
    s = [...s].map((ch) => (local.includes(ch) ? String(local.indexOf(ch)) : ch)).join("");
  }
  if (s === "") return { ok: false, error: "Enter a number" };
  const unreadable = `Write numbers like ${m.example} or 1234.5`;
  const negative = /^[-\u2212]/.test(s);
  const body = /^[-+\u2212]/.test(s) ? s.slice(1) : s;
  const allowed = new Set([...". ,'", m.group, m.decimal]);
  if (!/\d/.test(body) || [...body].some((ch) => !/\d/.test(ch) && !allowed.has(ch))) {
    return { ok: false, error: unreadable };
  }

  const groupMarks = [m.group, " ", m.decimal === "," ? "." : ""].join("").replace(m.decimal, "");
  const local = readWith(body, groupMarks, m.decimal, m);
  const plain = readWith(body, " ", ".", m);
  if (local !== null && plain !== null && local !== plain) {
    const signed = (v: string) => (negative ? `-${v}` : v);
    return {
      ok: false,
      error: suggest(body, m) ?? question(local, plain),
      readings: { grouped: signed(local), decimal: signed(plain) },
    };
  }
  const value = local ?? plain;
  if (value === null) return { ok: false, error: suggest(body, m) ?? unreadable };
  return { ok: true, value: negative && value !== "0" ? `-${value}` : value };
}

/** A canonical decimal as the user would type it back: the locale's decimal mark, no grouping,
 * every digit kept ("1.234" → "1,234" in de-DE), so `parseDecimal` reads it as the same value. */
export function formatForInput(value: string, locale?: string): string {
  return value.replace(".", marksFor(locale).decimal);
}
