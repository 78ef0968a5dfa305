/**
 * The last known markets and prices, kept in IndexedDB so a page opened while the server cannot
 * be reached (the service worker serves the app shell) shows them, marked stale, with their age.
 */
import { createStore, get, set, type UseStore } from "idb-keyval";
import { isPriceUpdate, isSymbol, type PriceUpdate, type SymbolInfo } from "../protocol";
import type { CryptoState } from "../store/cryptoStore";

export const SNAPSHOT_VERSION = 1;
const KEY = "last-prices";

export interface Snapshot {
  version: typeof SNAPSHOT_VERSION;
  /** When the newest of these prices arrived (local ms). */
  savedAt: number;
  symbols: SymbolInfo[];
  prices: PriceUpdate[];
}

let db: UseStore | null = null;
// Opened on first use: a page that never saves (tests, no IndexedDB) never opens it.
const store = (): UseStore => (db ??= createStore("cryptotracker", "snapshots"));

/** What to keep of the market state; null while there is nothing worth keeping. */
export function toSnapshot(state: Pick<CryptoState, "symbols" | "prices" | "lastMessageAt">) {
  if (state.symbols.length === 0 || state.lastMessageAt === null) return null;
  const prices = Object.values(state.prices).map(
    ({ receivedAt: _r, prev: _p, ...update }): PriceUpdate => update,
  );
  const snapshot: Snapshot = {
    version: SNAPSHOT_VERSION,
    savedAt: state.lastMessageAt,
    symbols: state.symbols,
    prices,
  };
  return snapshot;
}

/** A stored value back as a snapshot, or null when it is missing, of another version or torn. */
export function fromStored(value: unknown): Snapshot | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Partial<Snapshot>;
  if (v.version !== SNAPSHOT_VERSION || typeof v.savedAt !== "number") return null;
  if (!Array.isArray(v.symbols) || !Array.isArray(v.prices)) return null;
  const symbols = v.symbols.filter((s) => isSymbol(s?.symbol));
  return { ...v, symbols, prices: v.prices.filter(isPriceUpdate) } as Snapshot;
}

export async function saveSnapshot(snapshot: Snapshot): Promise<void> {
  await set(KEY, snapshot, store());
}

export async function loadSnapshot(): Promise<Snapshot | null> {
  return fromStored(await get(KEY, store()));
}
