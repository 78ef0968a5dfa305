/** Portfolio CSV: `symbol,amount,avgBuyPrice`, one holding a line, header required. Numbers are
 * read by `parseDecimal` in the user's locale; a cell that reads two ways ("1.234" in de-DE) takes
 * the notation the file's other cells show, and is an error when they show none. */
import { parseDecimal, type ParsedDecimal } from "./parseDecimal";
import { readHolding, type HoldingInput } from "./validate";

export const CSV_HEADER = "symbol,amount,avgBuyPrice";

export function toCsv(rows: readonly HoldingInput[]): string {
  const lines = rows.map((r) => [r.symbol, r.amount, r.avgPrice].map(escape).join(","));
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

export interface CsvResult {
  rows: HoldingInput[];
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

export function parseCsv(text: string, known?: ReadonlySet<string>, locale?: string): CsvResult {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const rows: HoldingInput[] = [];
  const errors: string[] = [];
  const sep = separatorOf(lines[0] ?? "");
  const header = splitLine(lines[0] ?? "", sep).map((h) => h.toLowerCase());
  const col = (names: string[]) => header.findIndex((h) => names.includes(h));
  const iSymbol = col(["symbol"]);
  const iAmount = col(["amount", "quantity"]);
  const iPrice = col(["avgbuyprice", "avgprice", "buyprice", "average buy price"]);
  if (iSymbol < 0 || iAmount < 0 || iPrice < 0) {
    return { rows, errors: [`line 1: expected the header "${CSV_HEADER}"`] };
  }
  const inputs = lines.slice(1).map((line): HoldingInput | null => {
    if (!line.trim()) return null;
    const cells = splitLine(line, sep);
    return {
      symbol: (cells[iSymbol] ?? "").toUpperCase(),
      amount: cells[iAmount] ?? "",
      avgPrice: cells[iPrice] ?? "",
    };
  });
  const notation = notationOf(
    inputs.flatMap((r) => (r ? [r.amount, r.avgPrice] : [])),
    locale,
  );
  const parse = (raw: string): ParsedDecimal => {
    const r = parseDecimal(raw, locale);
    if (r.ok || !r.readings || !notation) return r;
    return { ok: true, value: r.readings[notation] };
  };
  inputs.forEach((input, i) => {
    if (!input) return;
    const read = readHolding(input, { known, parse });
    if (read.ok) {
      rows.push(read.holding);
      return;
    }
    const { symbol, amount, avgPrice } = read.errors;
    const why = [
      symbol,
      amount && `amount "${input.amount}": ${amount}`,
      avgPrice && `avgBuyPrice "${input.avgPrice}": ${avgPrice}`,
    ];
    errors.push(`line ${i + 2}: ${why.filter(Boolean).join("; ")}`);
  });
  return { rows, errors };
}
