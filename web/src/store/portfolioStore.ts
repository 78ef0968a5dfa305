/** The user's holdings, persisted in localStorage (versioned; older shapes are migrated). */
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";
import {
  isValid,
  normaliseNumber,
  validateHolding,
  type HoldingErrors,
  type HoldingInput,
} from "../lib/validate";

export interface Holding {
  id: string;
  symbol: string;
  /** Decimal strings, as typed (normalised): never floats. */
  amount: string;
  avgPrice: string;
  addedAt: number;
}

export interface PortfolioState {
  holdings: Holding[];
  /** Adds a holding or returns why not. */
  add(input: HoldingInput, known?: ReadonlySet<string>): HoldingErrors;
  update(id: string, input: HoldingInput, known?: ReadonlySet<string>): HoldingErrors;
  remove(id: string): void;
  /** Holdings from a CSV import: a symbol already held is replaced, others are added. */
  importHoldings(inputs: HoldingInput[]): void;
  clear(): void;
}

export const PORTFOLIO_STORAGE_KEY = "cryptotracker-portfolio";
export const PORTFOLIO_VERSION = 2;

let seq = 0;
function newId(): string {
  seq += 1;
  return `${Date.now().toString(36)}-${seq}-${Math.random().toString(36).slice(2, 8)}`;
}

function clean(input: HoldingInput): Omit<Holding, "id" | "addedAt"> {
  return {
    symbol: input.symbol.trim().toUpperCase(),
    amount: normaliseNumber(input.amount),
    avgPrice: normaliseNumber(input.avgPrice),
  };
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
      if (isValid(validateHolding(input)))
        holdings.push({ ...clean(input), id: newId(), addedAt: 0 });
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
      add: (input, known) => {
        const errors = validateHolding(input, known);
        if (!isValid(errors)) return errors;
        set({
          holdings: [...get().holdings, { ...clean(input), id: newId(), addedAt: Date.now() }],
        });
        return {};
      },
      update: (id, input, known) => {
        const errors = validateHolding(input, known);
        if (!isValid(errors)) return errors;
        set({ holdings: get().holdings.map((h) => (h.id === id ? { ...h, ...clean(input) } : h)) });
        return {};
      },
      remove: (id) => set({ holdings: get().holdings.filter((h) => h.id !== id) }),
      importHoldings: (inputs) => {
        const holdings = [...get().holdings];
        for (const input of inputs) {
          const c = clean(input);
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
