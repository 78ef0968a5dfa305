import { useThemeStore, type ThemeChoice } from "../store/themeStore";

const NEXT: Record<ThemeChoice, ThemeChoice> = { system: "dark", dark: "light", light: "system" };
const LABEL: Record<ThemeChoice, string> = { system: "Auto", dark: "Dark", light: "Light" };

/** What the button is and what a press does, for screen readers and the tooltip. */
export function themeButtonName(theme: ThemeChoice): string {
  return `Theme: ${LABEL[theme].toLowerCase()} (switch to ${LABEL[NEXT[theme]].toLowerCase()})`;
}

export function ThemeToggle() {
  const theme = useThemeStore((s) => s.theme);
  const setTheme = useThemeStore((s) => s.setTheme);
  return (
    <button
      type="button"
      data-testid="theme-toggle"
      onClick={() => setTheme(NEXT[theme])}
      aria-label={themeButtonName(theme)}
      title={themeButtonName(theme)}
      className="inline-flex h-8 items-center gap-1.5 rounded-md border border-line px-2 text-xs text-muted hover:text-fg"
    >
      <svg viewBox="0 0 24 24" className="h-4 w-4" aria-hidden="true">
        {theme === "light" ? (
          <g fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
            <circle cx="12" cy="12" r="4" />
            <path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
          </g>
        ) : theme === "dark" ? (
          <path d="M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z" fill="currentColor" />
        ) : (
          <g fill="none" stroke="currentColor" strokeWidth="2">
            <circle cx="12" cy="12" r="8" />
            <path d="M12 4a8 8 0 0 1 0 16z" fill="currentColor" />
          </g>
        )}
      </svg>
      <span className="hidden sm:inline" aria-hidden="true">
        {LABEL[theme]}
      </span>
    </button>
  );
}
