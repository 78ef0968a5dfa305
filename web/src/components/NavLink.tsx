import type { ReactNode } from "react";
import { Link, useRoute } from "wouter";

/** A header link, underlined while its page is open (the markets link also on /markets/…). */
export function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [active] = useRoute(href === "/" ? "/" : `${href}/*?`);
  const [onSymbol] = useRoute("/markets/:symbol");
  const isActive = active || (href === "/" && onSymbol);
  return (
    <Link
      href={href}
      aria-current={isActive ? "page" : undefined}
      className={`relative flex h-14 items-center px-2 text-sm font-medium sm:px-3 ${
        isActive
          ? "text-fg after:absolute after:inset-x-2 after:bottom-0 after:h-0.5 after:bg-brand"
          : "text-muted hover:text-fg"
      }`}
    >
      {children}
    </Link>
  );
}
