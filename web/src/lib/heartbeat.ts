/** The connection's app-level heartbeat: a ping on an interval, its round trip measured, and a
 * missing answer reported (the link is dead even if the transport has not noticed yet). */

export interface HeartbeatOptions {
  intervalMs: number;
  now: () => number;
  /** Sends one ping; `answer` gets null on the server's answer, an error when none came in time. */
  ping(answer: (err: Error | null) => void): void;
  onRtt(ms: number): void;
  onTimeout(): void;
}

export class Heartbeat {
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly opts: HeartbeatOptions) {}

  start(): void {
    this.stop();
    this.timer = setInterval(() => this.beat(), this.opts.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private beat(): void {
    const sentAt = this.opts.now();
    this.opts.ping((err) => {
      if (err) this.opts.onTimeout();
      else this.opts.onRtt(this.opts.now() - sentAt);
    });
  }
}
