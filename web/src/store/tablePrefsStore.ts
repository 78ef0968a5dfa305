/** The markets table's columns chosen on a desktop, persisted in localStorage. */
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";
import { DESKTOP_COLUMNS, visibleColumns, type ColumnKey } from "../lib/marketColumns";

export interface TablePrefsState {
  columns: ColumnKey[];
  toggleColumn(key: ColumnKey): void;
  reset(): void;
}

export const TABLE_PREFS_STORAGE_KEY = "cryptotracker-table";

export const useTablePrefsStore = create<TablePrefsState>()(
  persist(
    (set, get) => ({
      columns: [...DESKTOP_COLUMNS],
      toggleColumn: (key) => {
        const cols = get().columns;
        set({
          columns: visibleColumns(
            cols.includes(key) ? cols.filter((c) => c !== key) : [...cols, key],
          ),
        });
      },
      reset: () => set({ columns: [...DESKTOP_COLUMNS] }),
    }),
    {
      name: TABLE_PREFS_STORAGE_KEY,
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ columns: s.columns }),
      merge: (persisted, current) => {
        const cols = (persisted as { columns?: unknown } | null)?.columns;
        return {
          ...current,
          columns: Array.isArray(cols)
            ? visibleColumns(cols.filter((c): c is string => typeof c === "string"))
            : current.columns,
        };
      },
    },
  ),
);
