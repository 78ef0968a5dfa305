import { memo, useMemo } from "react";
import { sparklinePath } from "../lib/sparkline";

const W = 100;
const H = 28;

/** A 7-day trend line: one SVG path, green when it ends higher than it began. */
export const Sparkline = memo(function Sparkline({ points }: { points: readonly number[] }) {
  const d = useMemo(() => sparklinePath(points, W, H), [points]);
  if (!d) return <span className="text-muted">—</span>;
  const up = points[points.length - 1]! >= points[0]!;
  return (
    <svg
      data-testid="sparkline"
      viewBox={`0 0 ${W} ${H}`}
      preserveAspectRatio="none"
      className={`ml-auto h-7 w-full max-w-28 ${up ? "text-up" : "text-down"}`}
      aria-hidden="true"
    >
      <path
        d={d}
        fill="none"
        stroke="currentColor"
        strokeWidth="1.5"
        strokeLinejoin="round"
        vectorEffect="non-scaling-stroke"
      />
    </svg>
  );
});
