import { formatMoney } from "../lib/format";

const COLORS = [
  "#f0b90b",
  "#0ecb81",
  "#3b82f6",
  "#f6465d",
  "#a855f7",
  "#14b8a6",
  "#f97316",
  "#848e9c",
];

interface Slice {
  label: string;
  value: number;
}

/** Donut of portfolio value by asset (largest seven, then "Other"). Plain SVG: no chart library. */
export function AllocationChart({ slices }: { slices: Slice[] }) {
  const positive = slices.filter((s) => s.value > 0).sort((a, b) => b.value - a.value);
  const top = positive.slice(0, 7);
  const rest = positive.slice(7).reduce((sum, s) => sum + s.value, 0);
  const parts = rest > 0 ? [...top, { label: "Other", value: rest }] : top;
  const total = parts.reduce((sum, s) => sum + s.value, 0);
  if (total <= 0) {
    return <p className="text-sm text-muted">Allocation appears once holdings have prices.</p>;
  }
  const r = 40;
  const c = 2 * Math.PI * r;
  const arcs = parts.map((p, i) => {
    const before = parts.slice(0, i).reduce((sum, q) => sum + q.value, 0);
    return { ...p, len: (p.value / total) * c, offset: (before / total) * c };
  });
  return (
    <div data-testid="allocation" className="flex flex-col items-center gap-3 sm:flex-row">
      <svg
        viewBox="0 0 100 100"
        className="h-28 w-28 shrink-0 -rotate-90"
        role="img"
        aria-label="Allocation by asset"
      >
        {arcs.map((p, i) => (
          <circle
            key={p.label}
            cx="50"
            cy="50"
            r={r}
            fill="none"
            stroke={COLORS[i % COLORS.length]}
            strokeWidth="16"
            strokeDasharray={`${p.len} ${c - p.len}`}
            strokeDashoffset={-p.offset}
          >
            <title>{`${p.label}: ${((p.value / total) * 100).toFixed(1)}%`}</title>
          </circle>
        ))}
      </svg>
      <ul className="grid w-full min-w-0 flex-1 grid-cols-1 gap-1 text-sm">
        {parts.map((p, i) => (
          <li key={p.label} className="flex items-center gap-2">
            <span
              className="h-2.5 w-2.5 shrink-0 rounded-sm"
              style={{ background: COLORS[i % COLORS.length] }}
            />
            <span className="min-w-0 flex-1 truncate font-medium" title={p.label}>
              {p.label}
            </span>
            <span className="tabular shrink-0 text-muted">{formatMoney(p.value)}</span>
            <span className="tabular w-14 shrink-0 text-right">
              {((p.value / total) * 100).toFixed(1)}%
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
