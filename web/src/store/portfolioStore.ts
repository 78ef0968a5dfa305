/** The user's holdings, persisted in localStorage (versioned; older shapes are migrated). */
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";
import { readHolding, type HoldingErrors, type HoldingInput } from "../lib/validate";

export interface Holding {
  id: string;
  symbol: string;
  /** Plain decimal strings ("100000", "0.5"), never floats; canonical as `parseDecimal` writes
   * them (holdings saved before it may keep a typed "0.50": the same value, so no migration). */
  amount: string;
  avgPrice: string;
  addedAt: number;
}

export interface PortfolioState {
  holdings: Holding[];
  /** Adds a holding as typed in `locale` (default: the browser's) or returns why not. */
  add(input: HoldingInput, known?: ReadonlySet<string>, locale?: string): HoldingErrors;
  update(
    id: string,
    input: HoldingInput,
    known?: ReadonlySet<string>,
    locale?: string,
  ): HoldingErrors;
  remove(id: string): void;
  /** Holdings read by `parseCsv` (canonical strings): a symbol already held is replaced, others
   * are added. */
  importHoldings(rows: HoldingInput[]): void;
  clear(): void;
}

export const PORTFOLIO_STORAGE_KEY = "cryptotracker-portfolio";
export const PORTFOLIO_VERSION = 2;

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

export function migratePortfolio(persisted: unknown, version: number): { holdings: Holding[] } {
  const state = (persisted ?? {}) as { holdings?: unknown };
  const list = Array.isArray(state.holdings) ? state.holdings : [];
  if (version < 2) {
    const holdings: Holding[] = [];
    for (const old of list as HoldingV1[]) {
      const input = {
        symbol: String(old?.symbol ?? ""),
        amount: numberToDecimal(old?.amount),
        avgPrice: numberToDecimal(old?.buyPrice),
      };
      // Plain decimals read the same in en-US whatever the browser's locale.
      const read = readHolding(input, { locale: "en-US" });
      if (read.ok) holdings.push({ ...read.holding, id: newId(), addedAt: 0 });
    }
    return { holdings };
  }
  return { holdings: list as Holding[] };
}

function numberToDecimal(n: unknown): string {
  if (typeof n !== "number" || !Number.isFinite(n)) return "";
  // Plain notation even for 1e-7: up to 12 decimals, trailing zeros dropped.
  return n.toFixed(12).replace(/\.?0+$/, "");
}

export const usePortfolioStore = create<PortfolioState>()(
  persist(
    (set, get) => ({
      holdings: [],
      add: (input, known, locale) => {
        const read = readHolding(input, { known, locale });
        if (!read.ok) return read.errors;
        set({
          holdings: [...get().holdings, { ...read.holding, id: newId(), addedAt: Date.now() }],
        });
        return {};
      },
      update: (id, input, known, locale) => {
        const read = readHolding(input, { known, locale });
        if (!read.ok) return read.errors;
        const holdings = get().holdings.map((h) => (h.id === id ? { ...h, ...read.holding } : h));
        set({ holdings });
        return {};
      },
      remove: (id) => set({ holdings: get().holdings.filter((h) => h.id !== id) }),
      importHoldings: (rows) => {
        const holdings = [...get().holdings];
        for (const c of rows) {
          const at = holdings.findIndex((h) => h.symbol === c.symbol);
          if (at >= 0) holdings[at] = { ...holdings[at]!, ...c };
          else holdings.push({ ...c, id: newId(), addedAt: Date.now() });
        }
        set({ holdings });
      },
      clear: () => set({ holdings: [] }),
    }),
    {
      name: PORTFOLIO_STORAGE_KEY,
      version: PORTFOLIO_VERSION,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ holdings: s.holdings }),
      migrate: (persisted, version) => migratePortfolio(persisted, version) as PortfolioState,
    },
  ),
);
