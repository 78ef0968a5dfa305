import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { LinkStatus } from "./socket";

/** A socket.io-client stand-in: connect() only counts; the test decides how each attempt ends. */
class FakeSocket {
  connected = false;
  connects = 0;
  private readonly handlers = new Map<string, ((arg?: unknown) => void)[]>();
  on(event: string, fn: (arg?: unknown) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
    return this;
  }
  off(event: string, fn: (arg?: unknown) => void) {
    this.handlers.set(
      event,
      (this.handlers.get(event) ?? []).filter((h) => h !== fn),
    );
    return this;
  }
  onAny() {
    return this;
  }
  offAny() {
    return this;
  }
  connect() {
    this.connects += 1;
    return this;
  }
  disconnect() {
    this.connected = false;
    return this;
  }
  fire(event: string, arg?: unknown) {
    for (const h of this.handlers.get(event) ?? []) h(arg);
  }
  /** The pending attempt was refused (the server is down). */
  refuse() {
    this.fire("connect_error", new Error("xhr poll error"));
  }
}

let socket: FakeSocket;
vi.mock("socket.io-client", () => ({ io: () => socket }));

const { MarketClient } = await import("./socket");

let visible = true;
let now = 0;

function start() {
  const links: LinkStatus[] = [];
  const c = new MarketClient(
    { onLink: (s) => links.push(s) },
    { jitter: 0, isVisible: () => visible, now: () => now },
  );
  c.start();
  return { c, links, last: () => links[links.length - 1] as LinkStatus };
}

/** Refuse every attempt for `ms`, advancing fake time step by step; returns the last delay. */
function outage(ms: number, last: () => LinkStatus): number {
  let delay = 0;
  const end = now + ms;
  while (now < end) {
    socket.refuse();
    const next = last().nextRetryAt ?? now;
    delay = next - now;
    vi.advanceTimersByTime(delay);
    now = next;
  }
  return delay;
}

beforeEach(() => {
  vi.useFakeTimers();
  socket = new FakeSocket();
  visible = true;
  now = 1_000_000;
});
afterEach(() => {
  vi.useRealTimers();
});

describe("MarketClient reconnect", () => {
  it("waits at most 5 s between attempts while the tab is visible", () => {
    const { c, last } = start();
    expect(outage(35_000, last)).toBe(5000);
    c.stop();
  });

  it("backs off up to 30 s while the tab is hidden", () => {
    visible = false;
    const { c, last } = start();
    expect(outage(90_000, last)).toBe(30_000);
    c.stop();
  });

  it("tries at once when the network comes back", () => {
    visible = false;
    const { c, last } = start();
    outage(60_000, last);
    socket.refuse();
    expect(last().nextRetryAt).toBe(now + 30_000);
    const before = socket.connects;

    window.dispatchEvent(new Event("online"));
    expect(socket.connects).toBe(before + 1);
    expect(last().nextRetryAt).toBeNull();
    // The old schedule is gone: no second attempt when it would have fired.
    vi.advanceTimersByTime(30_000);
    expect(socket.connects).toBe(before + 1);
    c.stop();
  });

  it("tries at once when the tab becomes visible, not when it is hidden", () => {
    visible = false;
    const { c, last } = start();
    outage(60_000, last);
    socket.refuse();
    const before = socket.connects;

    document.dispatchEvent(new Event("visibilitychange"));
    expect(socket.connects).toBe(before);
    visible = true;
    document.dispatchEvent(new Event("visibilitychange"));
    expect(socket.connects).toBe(before + 1);
    // Still down: the next wait uses the visible cap.
    socket.refuse();
    expect((last().nextRetryAt ?? 0) - now).toBe(5000);
    c.stop();
  });

  it("leaves an attempt in flight alone and stops listening once stopped", () => {
    const { c } = start();
    window.dispatchEvent(new Event("online"));
    expect(socket.connects).toBe(1);
    socket.refuse();
    c.stop();
    window.dispatchEvent(new Event("online"));
    document.dispatchEvent(new Event("visibilitychange"));
    expect(socket.connects).toBe(1);
  });
});
