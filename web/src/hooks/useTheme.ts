import { useEffect } from "react";
import { useThemeStore } from "../store/themeStore";

/** Puts `dark` on <html> from the choice, following the system when the choice is "system". */
export function useThemeDriver(): void {
  const theme = useThemeStore((s) => s.theme);
  useEffect(() => {
    const media = window.matchMedia?.("(prefers-color-scheme: dark)");
    const apply = () => {
      const dark = theme === "dark" || (theme === "system" && media?.matches === true);
      document.documentElement.classList.toggle("dark", dark);
    };
    apply();
    media?.addEventListener("change", apply);
    return () => media?.removeEventListener("change", apply);
  }, [theme]);
}
