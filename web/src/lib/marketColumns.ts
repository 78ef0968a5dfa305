/** The markets table's columns: which exist, their widths, the defaults on a desktop and the
 * fixed set on a phone. The pair and its price are always shown. */
export type ColumnKey =
  | "rank"
  | "symbol"
  | "price"
  | "change1h"
  | "change"
  | "change7d"
  | "high"
  | "low"
  | "volume"
  | "marketCap"
  | "spark";

export type SortKey = Exclude<ColumnKey, "spark">;

export interface ColumnDef {
  key: ColumnKey;
  label: string;
  /** The header on a phone. */
  short?: string;
  align: "left" | "right";
  /** CSS grid track. */
  width: string;
  sortable: boolean;
  /** Always shown; not in the chooser. */
  fixed?: boolean;
}

export const COLUMNS: readonly ColumnDef[] = [
  { key: "rank", label: "#", align: "right", width: "2.5rem", sortable: true },
  {
    key: "symbol",
    label: "Pair",
    align: "left",
    width: "minmax(0,1.6fr)",
    sortable: true,
    fixed: true,
  },
  {
    key: "price",
    label: "Last price",
    short: "Price",
    align: "right",
    width: "minmax(0,1.1fr)",
    sortable: true,
    fixed: true,
  },
  { key: "change1h", label: "1h", align: "right", width: "minmax(0,0.6fr)", sortable: true },
  {
    key: "change",
    label: "24h change",
    short: "24h %",
    align: "right",
    width: "minmax(0,0.8fr)",
    sortable: true,
  },
  { key: "change7d", label: "7d", align: "right", width: "minmax(0,0.6fr)", sortable: true },
  { key: "high", label: "24h high", align: "right", width: "minmax(0,1fr)", sortable: true },
  { key: "low", label: "24h low", align: "right", width: "minmax(0,1fr)", sortable: true },
  { key: "volume", label: "24h volume", align: "right", width: "minmax(0,0.9fr)", sortable: true },
  {
    key: "marketCap",
    label: "Market cap",
    align: "right",
    width: "minmax(0,0.9fr)",
    sortable: true,
  },
  { key: "spark", label: "Last 7 days", align: "right", width: "7rem", sortable: false },
];

export const COLUMN_BY_KEY: ReadonlyMap<ColumnKey, ColumnDef> = new Map(
  COLUMNS.map((c) => [c.key, c]),
);

export const DESKTOP_COLUMNS: readonly ColumnKey[] = [
  "rank",
  "symbol",
  "price",
  "change1h",
  "change",
  "change7d",
  "volume",
  "marketCap",
  "spark",
];

/** A phone shows the three a glance needs; the rest is one tap away on the pair's page. */
export const PHONE_COLUMNS: readonly ColumnKey[] = ["symbol", "price", "change"];

/** The chosen columns in the table's order, the fixed ones always among them; unknown keys
 * (a stored choice from another version) are dropped. */
export function visibleColumns(chosen: readonly string[]): ColumnKey[] {
  const want = new Set(chosen);
  return COLUMNS.filter((c) => c.fixed || want.has(c.key)).map((c) => c.key);
}

/** The grid's tracks: the star, then one per column. */
export function gridTemplate(keys: readonly ColumnKey[], starWidth = "32px"): string {
  return [starWidth, ...keys.map((k) => COLUMN_BY_KEY.get(k)?.width ?? "1fr")].join(" ");
}
