import type { ReactNode } from "react";

/** A labelled figure in the symbol header. */
export function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <p className="text-xs text-muted">{label}</p>
      <p className="tabular truncate text-sm font-medium">{children}</p>
    </div>
  );
}
