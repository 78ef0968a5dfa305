import { Link } from "wouter";
import { CurrencyPicker } from "./CurrencyPicker";
import { NavLink } from "./NavLink";
import { ThemeToggle } from "./ThemeToggle";
import { useWatchlistStore } from "../store/watchlistStore";
import { useAlertsStore } from "../store/alertsStore";

export function Header() {
  const starred = useWatchlistStore((s) => s.symbols.length);
  const fired = useAlertsStore((s) => s.alerts.filter((a) => a.state === "triggered").length);
  return (
    <header className="sticky top-0 z-20 border-b border-line bg-panel">
      <div className="mx-auto flex h-14 max-w-7xl items-center gap-1 px-2 sm:gap-4 sm:px-4">
        <Link href="/" className="mr-1 flex items-center gap-2 font-bold tracking-tight sm:mr-4">
          <svg viewBox="0 0 32 32" className="h-7 w-7" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="var(--brand)" />
            <path
              d="M8 21l5.5-6.5 4 4L24 11"
              stroke="#181a20"
              strokeWidth="3"
              fill="none"
              strokeLinecap="round"
              strokeLinejoin="round"
            />
          </svg>
          {/* On a phone only the icon shows; the wordmark still names the link. */}
          <span className="sr-only text-base sm:not-sr-only">
            Crypto<span className="text-brand">Tracker</span>
          </span>
        </Link>
        <nav className="flex min-w-0 flex-1 items-center overflow-x-auto" aria-label="Main">
          <NavLink href="/">Markets</NavLink>
          <NavLink href="/watchlist">
            Watchlist{starred > 0 && <span className="ml-1 text-xs text-muted">{starred}</span>}
          </NavLink>
          <NavLink href="/portfolio">Portfolio</NavLink>
          <NavLink href="/alerts">
            Alerts
            {fired > 0 && (
              <span className="ml-1 rounded-full bg-down px-1.5 text-[10px] font-bold text-white">
                {fired}
              </span>
            )}
          </NavLink>
        </nav>
        <CurrencyPicker />
        <ThemeToggle />
      </div>
    </header>
  );
}
