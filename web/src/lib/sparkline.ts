/** An SVG path for a price series in a `width` × `height` box, oldest at the left; the box's
 * top is the highest price. Empty for fewer than two points. */
export function sparklinePath(points: readonly number[], width: number, height: number): string {
  const n = points.length;
  if (n < 2) return "";
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    if (p < lo) lo = p;
    if (p > hi) hi = p;
  }
  const span = hi - lo || 1;
  const dx = width / (n - 1);
  // One decimal is sub-pixel at table sizes and keeps the path short.
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const y = hi === lo ? height / 2 : height - ((points[i]! - lo) / span) * height;
    parts.push(`${i === 0 ? "M" : "L"}${(i * dx).toFixed(1)} ${y.toFixed(1)}`);
  }
  return parts.join("");
}

/** The 7-day series with the live price as its newest point, when the live price is in the
 * series' currency (USD-like quotes): the line then moves with the batches. */
export function withLivePoint(points: readonly number[], live: number | null): readonly number[] {
  if (points.length < 2 || live === null || !Number.isFinite(live) || live <= 0) return points;
  return [...points, live];
}
