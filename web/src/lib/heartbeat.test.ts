import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Heartbeat } from "./heartbeat";

let now = 0;
let answers: ((err: Error | null) => void)[] = [];
const onRtt = vi.fn();
const onTimeout = vi.fn();

function heartbeat() {
  return new Heartbeat({
    intervalMs: 1000,
    now: () => now,
    ping: (answer) => answers.push(answer),
    onRtt,
    onTimeout,
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.clearAllMocks();
  now = 0;
  answers = [];
});
afterEach(() => vi.useRealTimers());

describe("Heartbeat", () => {
  it("pings on its interval and reports each round trip", () => {
    const beat = heartbeat();
    beat.start();
    vi.advanceTimersByTime(999);
    expect(answers).toHaveLength(0);
    now = 1000;
    vi.advanceTimersByTime(1);
    expect(answers).toHaveLength(1);
    now = 1042;
    answers[0]?.(null);
    expect(onRtt).toHaveBeenCalledWith(42);
    vi.advanceTimersByTime(2000);
    expect(answers).toHaveLength(3);
    beat.stop();
  });

  it("reports a ping with no answer in time", () => {
    const beat = heartbeat();
    beat.start();
    vi.advanceTimersByTime(1000);
    answers[0]?.(new Error("operation has timed out"));
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(onRtt).not.toHaveBeenCalled();
    beat.stop();
  });

  it("sends nothing once stopped, and one interval when started twice", () => {
    const beat = heartbeat();
    beat.start();
    beat.start();
    vi.advanceTimersByTime(1000);
    expect(answers).toHaveLength(1);
    beat.stop();
    vi.advanceTimersByTime(10_000);
    expect(answers).toHaveLength(1);
  });
});
