/** Capped exponential backoff with jitter: attempt 1 waits `base`, each next one doubles, up to `max`. */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Fraction (0..1) taken off at random so a server restart does not get every client at once. */
  jitter: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2 ** 30 already dwarfs any sane cap; stop the exponent there so it never overflows.
  const raw = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(n - 1, 30));
  const r = (opts.random ?? Math.random)();
  return Math.round(raw * (1 - opts.jitter * r));
}
