/**
 * Coin metadata (`GET /api/assets`) read defensively: each field is checked on its own, so one
 * bad figure from the metadata source marks that figure unknown (null) and never the row, nor
 * the table. Logos are used only from our own origin (CSP img-src 'self').
 */
import type { AssetList } from "../protocol/generated";
import { isDecimal, isObject } from "../protocol";

export interface Asset {
  asset: string;
  id: string | null;
  name: string | null;
  logo: string | null;
  rank: number | null;
  /** USD, decimal string. */
  marketCap: string | null;
  change1h: string | null;
  change7d: string | null;
  change30d: string | null;
  /** Hourly USD prices over 7 days, oldest first; only finite numbers; for drawing. */
  sparkline7d: readonly number[];
}

export interface AssetIndex {
  byAsset: ReadonlyMap<string, Asset>;
  updatedAt: number | null;
}

export const EMPTY_ASSETS: AssetIndex = { byAsset: new Map(), updatedAt: null };

const ASSET_RE = /^[A-Z0-9]{1,20}$/;
// Our logo route only: a path on this origin, no scheme, no "//host", no way up the tree.
const LOGO_RE = /^\/api\/logos\/[A-Za-z0-9._-]+$/;
const SPARK_MAX = 1000;

function text(v: unknown, max = 80): string | null {
  if (typeof v !== "string") return null;
  const t = v.trim();
  return t && t.length <= max ? t : null;
}

function decimalOrNull(v: unknown): string | null {
  return isDecimal(v) ? v : null;
}

function sparkline(v: unknown): number[] {
  if (!Array.isArray(v)) return [];
  const out: number[] = [];
  for (const p of v.slice(-SPARK_MAX)) if (typeof p === "number" && Number.isFinite(p)) out.push(p);
  return out.length >= 2 ? out : [];
}

/** One asset from the wire, or null when not even its ticker is readable. */
export function readAsset(raw: unknown): Asset | null {
  if (!isObject(raw)) return null;
  const asset = typeof raw.asset === "string" ? raw.asset.trim().toUpperCase() : "";
  if (!ASSET_RE.test(asset)) return null;
  const logo = typeof raw.logo === "string" && LOGO_RE.test(raw.logo) ? raw.logo : null;
  const rank =
    typeof raw.rank === "number" && Number.isInteger(raw.rank) && raw.rank >= 1 ? raw.rank : null;
  const cap = decimalOrNull(raw.marketCap);
  return {
    asset,
    id: text(raw.id),
    name: text(raw.name),
    logo,
    rank,
    marketCap: cap && !cap.startsWith("-") ? cap : null,
    change1h: decimalOrNull(raw.change1h),
    change7d: decimalOrNull(raw.change7d),
    change30d: decimalOrNull(raw.change30d),
    sparkline7d: sparkline(raw.sparkline7d),
  };
}

/** The whole list; a malformed body gives an empty index (every row then shows what the markets
 * alone know). The first entry of a ticker wins. */
export function readAssets(raw: unknown): AssetIndex {
  const body = isObject(raw) ? (raw as Partial<Record<keyof AssetList, unknown>>) : {};
  const list = Array.isArray(body.assets) ? body.assets : [];
  const byAsset = new Map<string, Asset>();
  for (const item of list) {
    const a = readAsset(item);
    if (a && !byAsset.has(a.asset)) byAsset.set(a.asset, a);
  }
  const updatedAt =
    typeof body.updatedAt === "number" && Number.isFinite(body.updatedAt) ? body.updatedAt : null;
  return { byAsset, updatedAt };
}

/** A search query in the forms people type: "bitcoin", "btc", "BTC/USDT", "eth-btc". */
export interface MarketQuery {
  /** Upper-case, separators dropped: matched against symbols and tickers. */
  compact: string;
  /** Lower-case words: matched against coin names and ids. */
  words: string;
}

export function marketQuery(input: string): MarketQuery {
  const t = input.trim();
  return { compact: t.toUpperCase().replace(/[/\s-]/g, ""), words: t.toLowerCase() };
}

/** Whether a market matches: its pair (BTCUSDT, btc/usdt), its coin's ticker, or a word of its
 * coin's name or its id starting with the query ("bitcoin" finds Bitcoin and Wrapped Bitcoin;
 * "eth" finds Ethereum but not Tether). */
export function matchesMarket(
  q: MarketQuery,
  market: { symbol: string; baseAsset: string },
  asset: Asset | undefined,
): boolean {
  if (!q.compact) return true;
  if (market.symbol.includes(q.compact)) return true;
  if (market.baseAsset.toUpperCase().startsWith(q.compact)) return true;
  if (!asset || q.words.length < 2) return false;
  const name = asset.name?.toLowerCase() ?? "";
  return (
    name.startsWith(q.words) ||
    name.split(/[^a-z0-9]+/).some((w) => w.startsWith(q.words)) ||
    (asset.id?.toLowerCase().startsWith(q.words) ?? false)
  );
}
