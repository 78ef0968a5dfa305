/** Theme choice: follow the system (default), or light / dark. Key read by index.html too. */
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";

export type ThemeChoice = "system" | "light" | "dark";

export interface ThemeState {
  theme: ThemeChoice;
  setTheme(theme: ThemeChoice): void;
}

export const useThemeStore = create<ThemeState>()(
  persist((set) => ({ theme: "system", setTheme: (theme) => set({ theme }) }), {
    name: "cryptotracker-theme",
    version: 1,
    storage: createJSONStorage(() => localStorage),
    partialize: (s) => ({ theme: s.theme }),
  }),
);
