/** The user's portfolio as lots (every buy and sell), persisted in localStorage (versioned; older
 * shapes are migrated). Positions are derived from the lots by `rollUp`, never stored. */
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";
import type { CsvLot } from "../lib/csv";
import { firstOversold, heldAmount, type Lot } from "../lib/lots";
import { formatAmount } from "../lib/format";
import { readHolding, readLot, type LotErrors, type LotInput } from "../lib/validate";

export interface PortfolioState {
  lots: Lot[];
  /** Adds a buy or sell as typed in `locale` (default: the browser's) at `at` (default: now),
   * or returns why not (a sell of more than is held among them). */
  addLot(input: LotInput, known?: ReadonlySet<string>, locale?: string, at?: number): LotErrors;
  /** Removes a lot unless a later sell would then exceed what is held; returns why not. */
  removeLot(id: string): string | null;
  /** Removes every lot of a market. */
  removeSymbol(symbol: string): void;
  /** Lots read by `parseCsv`: they replace every lot of the markets they name. */
  importLots(rows: readonly CsvLot[]): void;
  clear(): void;
}

export const PORTFOLIO_STORAGE_KEY = "cryptotracker-portfolio";
export const PORTFOLIO_VERSION = 3;

let seq = 0;
function newId(): string {
  seq += 1;
  return `${Date.now().toString(36)}-${seq}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Version 1 kept numbers (`{symbol, amount: number, buyPrice: number}`) and no ids. */
interface HoldingV1 {
  symbol: string;
  amount: number;
  buyPrice: number;
}

/** Version 2 kept one holding per line: `{id, symbol, amount, avgPrice, addedAt}` (strings). */
interface HoldingV2 {
  id: string;
  symbol: string;
  amount: string;
  avgPrice: string;
  addedAt: number;
}

export function migratePortfolio(persisted: unknown, version: number): { lots: Lot[] } {
  const state = (persisted ?? {}) as { holdings?: unknown; lots?: unknown };
  if (version >= 3) return { lots: Array.isArray(state.lots) ? (state.lots as Lot[]) : [] };
  const list = Array.isArray(state.holdings) ? state.holdings : [];
  const holdings: HoldingV2[] =
    version < 2 ? (list as HoldingV1[]).flatMap(fromV1) : (list as HoldingV2[]);
  // Each holding becomes the buy it stands for: its amount at its average price, no fee.
  const lots = holdings.map((h): Lot => ({
    id: h.id,
    symbol: h.symbol,
    side: "buy",
    amount: h.amount,
    price: h.avgPrice,
    fee: "0",
    at: h.addedAt,
  }));
  return { lots };
}

function fromV1(old: HoldingV1): HoldingV2[] {
  const input = {
    symbol: String(old?.symbol ?? ""),
    amount: numberToDecimal(old?.amount),
    avgPrice: numberToDecimal(old?.buyPrice),
  };
  // Plain decimals read the same in en-US whatever the browser's locale.
  const read = readHolding(input, { locale: "en-US" });
  return read.ok ? [{ ...read.holding, id: newId(), addedAt: 0 }] : [];
}

function numberToDecimal(n: unknown): string {
  if (typeof n !== "number" || !Number.isFinite(n)) return "";
  // Plain notation even for 1e-7: up to 12 decimals, trailing zeros dropped.
  return n.toFixed(12).replace(/\.?0+$/, "");
}

export const usePortfolioStore = create<PortfolioState>()(
  persist(
    (set, get) => ({
      lots: [],
      addLot: (input, known, locale, at = Date.now()) => {
        const read = readLot(input, { known, locale });
        if (!read.ok) return read.errors;
        const lot: Lot = { ...read.lot, id: newId(), at };
        const lots = [...get().lots, lot];
        if (firstOversold(lots, lot.symbol)) {
          const held = formatAmount(heldAmount(get().lots, lot.symbol), locale);
          return { amount: `You hold ${held} ${lot.symbol}: cannot sell more` };
        }
        set({ lots });
        return {};
      },
      removeLot: (id) => {
        const lot = get().lots.find((l) => l.id === id);
        if (!lot) return null;
        const lots = get().lots.filter((l) => l.id !== id);
        if (firstOversold(lots, lot.symbol)) {
          return "A later sell needs this buy: remove the sell first";
        }
        set({ lots });
        return null;
      },
      removeSymbol: (symbol) => set({ lots: get().lots.filter((l) => l.symbol !== symbol) }),
      importLots: (rows) => {
        const named = new Set(rows.map((r) => r.symbol));
        const kept = get().lots.filter((l) => !named.has(l.symbol));
        set({ lots: [...kept, ...rows.map((r) => ({ ...r, id: newId() }))] });
      },
      clear: () => set({ lots: [] }),
    }),
    {
      name: PORTFOLIO_STORAGE_KEY,
      version: PORTFOLIO_VERSION,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ lots: s.lots }),
      migrate: (persisted, version) => migratePortfolio(persisted, version) as PortfolioState,
    },
  ),
);
