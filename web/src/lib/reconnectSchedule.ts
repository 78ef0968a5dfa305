/** When the page's next connection attempt starts: the one backoff policy (lib/backoff.ts) with a
 * shorter cap while the tab is seen, and one waiting attempt at a time. */
import { backoffDelay } from "./backoff";

export interface ReconnectOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Cap while the tab is visible: someone is watching, so a restored server shows up soon. */
  visibleMaxDelayMs: number;
  jitter: number;
  random: () => number;
  isVisible: () => boolean;
}

export class ReconnectSchedule {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly opts: ReconnectOptions) {}

  /** An attempt is scheduled and has not started yet. */
  get waiting(): boolean {
    return this.timer !== null;
  }

  /** The wait before attempt number `attempt` (1 for the first retry). */
  delay(attempt: number): number {
    const { baseDelayMs, maxDelayMs, visibleMaxDelayMs, jitter, random } = this.opts;
    return backoffDelay(attempt, {
      baseMs: baseDelayMs,
      maxMs: this.opts.isVisible() ? Math.min(maxDelayMs, visibleMaxDelayMs) : maxDelayMs,
      jitter,
      random,
    });
  }

  /** Calls `due` once the wait for `attempt` is over (replacing any waiting one); returns the wait. */
  schedule(attempt: number, due: () => void): number {
    this.cancel();
    const delay = this.delay(attempt);
    this.timer = setTimeout(() => {
      this.timer = null;
      due();
    }, delay);
    return delay;
  }

  /** Drops the waiting attempt, if any; says whether there was one. */
  cancel(): boolean {
    if (!this.timer) return false;
    clearTimeout(this.timer);
    this.timer = null;
    return true;
  }
}
