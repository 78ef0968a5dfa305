/** Portfolio CSV: `symbol,amount,avgBuyPrice`, one holding a line, header required. */
import { isValid, validateHolding, type HoldingInput } from "./validate";

export const CSV_HEADER = "symbol,amount,avgBuyPrice";

export function toCsv(rows: readonly HoldingInput[]): string {
  const lines = rows.map((r) => [r.symbol, r.amount, r.avgPrice].map(escape).join(","));
  return [CSV_HEADER, ...lines].join("\n") + "\n";
}

function escape(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function splitLine(line: string): string[] {
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
    else if (ch === "," || ch === ";") {
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

export function parseCsv(text: string, known?: ReadonlySet<string>): CsvResult {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const rows: HoldingInput[] = [];
  const errors: string[] = [];
  const header = splitLine(lines[0] ?? "").map((h) => h.toLowerCase());
  const col = (names: string[]) => header.findIndex((h) => names.includes(h));
  const iSymbol = col(["symbol"]);
  const iAmount = col(["amount", "quantity"]);
  const iPrice = col(["avgbuyprice", "avgprice", "buyprice", "average buy price"]);
  if (iSymbol < 0 || iAmount < 0 || iPrice < 0) {
    return { rows, errors: [`line 1: expected the header "${CSV_HEADER}"`] };
  }
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const cells = splitLine(line);
    const input = {
      symbol: (cells[iSymbol] ?? "").toUpperCase(),
      amount: cells[iAmount] ?? "",
      avgPrice: cells[iPrice] ?? "",
    };
    const errs = validateHolding(input, known);
    if (isValid(errs)) rows.push(input);
    else errors.push(`line ${i + 2}: ${Object.values(errs).join("; ")}`);
  });
  return { rows, errors };
}
