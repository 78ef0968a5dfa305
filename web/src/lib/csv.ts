/** Portfolio CSV: one lot a line, `symbol,side,amount,price,fee,date` (ISO 8601), header
 * required. The older `symbol,amount,avgBuyPrice` files read as buys without fee. Numbers are
 * read by `parseDecimal` in the user's locale; a cell that reads two ways ("1.234" in de-DE) takes
 * the notation the file's other cells show, and is an error when they show none. */
import {
  applyLot,
  chronological,
  NOTHING_HELD,
  type Lot,
  type LotFields,
  type Running,
} from "./lots";
import { parseDecimal, type ParsedDecimal } from "./parseDecimal";
import { readLot, type LotInput } from "./validate";

export const CSV_HEADER = "symbol,side,amount,price,fee,date";

/** Lots oldest first, numbers as stored (plain decimals, read the same in every locale). */
export function toCsv(lots: readonly Lot[]): string {
  const lines = chronological(lots).map((l) =>
    [l.symbol, l.side, l.amount, l.price, l.fee, new Date(l.at).toISOString()]
      .map(escape)
      .join(","),
  );
  return [CSV_HEADER, ...lines].join("\n") + "\n";
}

function escape(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The header's separator: ";" (as spreadsheets write CSV where the decimal mark is a comma) or ",". */
function separatorOf(header: string): string {
  return header.includes(";") ? ";" : ",";
}

function splitLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === sep) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((c) => c.trim());
}

/** A lot read from a file: its fields and when it happened. */
export type CsvLot = LotFields & { at: number };

export interface CsvResult {
  rows: CsvLot[];
  errors: string[];
}

type Notation = "grouped" | "decimal" | null;

/** How the file writes a full stop, from the cells that read one way only: "decimal" when some
 * cell has one as decimal point the locale would not ("0.5" in de-DE), "grouped" when some cell
 * uses the locale's own marks ("0,5", "1.000,5"), null when neither or both. */
function notationOf(cells: string[], locale: string | undefined): Notation {
  let decimal = false;
  let grouped = false;
  for (const cell of cells) {
    const r = parseDecimal(cell, locale);
    if (!r.ok) continue;
    // A lone full stop that read one way only is a decimal point (rule 6 of parseDecimal).
    if (/^[-+]?\d*\.\d+$/.test(cell.trim())) decimal = true;
    else if (/[.,]/.test(cell)) grouped = true;
  }
  return decimal === grouped ? null : decimal ? "decimal" : "grouped";
}

interface Line {
  n: number;
  input: LotInput;
  date: string;
}

/** `now` dates the lines of a file without a date column. Sells that exceed what the file's
 * earlier lines hold of that market are errors: the file replaces the market's lots. */
export function parseCsv(
  text: string,
  known?: ReadonlySet<string>,
  locale?: string,
  now: number = Date.now(),
): CsvResult {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const errors: string[] = [];
  const sep = separatorOf(lines[0] ?? "");
  const header = splitLine(lines[0] ?? "", sep).map((h) => h.toLowerCase());
  const col = (names: string[]) => header.findIndex((h) => names.includes(h));
  const iSymbol = col(["symbol"]);
  const iAmount = col(["amount", "quantity"]);
  const iPrice = col(["price", "avgbuyprice", "avgprice", "buyprice", "average buy price"]);
  const iSide = col(["side"]);
  const iFee = col(["fee"]);
  const iDate = col(["date", "time"]);
  if (iSymbol < 0 || iAmount < 0 || iPrice < 0) {
    return { rows: [], errors: [`line 1: expected the header "${CSV_HEADER}"`] };
  }
  const read: Line[] = [];
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const cells = splitLine(line, sep);
    const cell = (at: number) => (at >= 0 ? (cells[at] ?? "") : "");
    read.push({
      n: i + 2,
      input: {
        symbol: cell(iSymbol).toUpperCase(),
        side: (cell(iSide).toLowerCase() || "buy") as LotInput["side"],
        amount: cell(iAmount),
        price: cell(iPrice),
        fee: cell(iFee),
      },
      date: cell(iDate),
    });
  });
  const notation = notationOf(
    read.flatMap((r) => [r.input.amount, r.input.price, r.input.fee].filter(Boolean)),
    locale,
  );
  const parse = (raw: string): ParsedDecimal => {
    const r = parseDecimal(raw, locale);
    if (r.ok || !r.readings || !notation) return r;
    return { ok: true, value: r.readings[notation] };
  };
  const valid: (CsvLot & { n: number })[] = [];
  for (const { n, input, date } of read) {
    const lot = readLot(input, { known, parse });
    const at = date ? Date.parse(date) : now;
    if (lot.ok && Number.isFinite(at)) {
      valid.push({ ...lot.lot, at, n });
      continue;
    }
    const e = lot.ok ? {} : lot.errors;
    const why = [
      e.symbol,
      e.side && `side "${input.side}": ${e.side}`,
      e.amount && `amount "${input.amount}": ${e.amount}`,
      e.price && `price "${input.price}": ${e.price}`,
      e.fee && `fee "${input.fee}": ${e.fee}`,
      !Number.isFinite(at) && `date "${date}": write dates like 2026-11-30T14:00:00Z`,
    ];
    errors.push(`line ${n}: ${why.filter(Boolean).join("; ")}`);
  }
  const rows: CsvLot[] = [];
  const held = new Map<string, Running>();
  for (const lot of chronological(valid)) {
    const before = held.get(lot.symbol) ?? NOTHING_HELD;
    const after = applyLot(before, lot);
    if (!after) {
      errors.push(`line ${lot.n}: sells more ${lot.symbol} than the lines before it hold`);
      continue;
    }
    held.set(lot.symbol, after);
    const { symbol, side, amount, price, fee, at } = lot;
    rows.push({ symbol, side, amount, price, fee, at });
  }
  errors.sort((a, b) => lineNo(a) - lineNo(b));
  return { rows, errors };
}

function lineNo(error: string): number {
  return Number(/^line (\d+)/.exec(error)?.[1] ?? 0);
}
