import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReconnectSchedule, type ReconnectOptions } from "./reconnectSchedule";

let visible = true;
const options: ReconnectOptions = {
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  visibleMaxDelayMs: 5000,
  jitter: 0,
  random: () => 0,
  isVisible: () => visible,
};

beforeEach(() => {
  vi.useFakeTimers();
  visible = true;
});
afterEach(() => vi.useRealTimers());

describe("ReconnectSchedule", () => {
  it("doubles from the base up to the visible cap, or the full cap while the tab is hidden", () => {
    const schedule = new ReconnectSchedule(options);
    expect([1, 2, 3, 4, 9].map((n) => schedule.delay(n))).toEqual([1000, 2000, 4000, 5000, 5000]);
    visible = false;
    expect([4, 5, 6, 9].map((n) => schedule.delay(n))).toEqual([8000, 16_000, 30_000, 30_000]);
  });

  it("takes the jitter off the wait", () => {
    const schedule = new ReconnectSchedule({ ...options, jitter: 0.2, random: () => 0.5 });
    expect(schedule.delay(1)).toBe(900);
  });

  it("calls back once when the wait is over and is no longer waiting", () => {
    const schedule = new ReconnectSchedule(options);
    const due = vi.fn();
    expect(schedule.schedule(2, due)).toBe(2000);
    expect(schedule.waiting).toBe(true);
    vi.advanceTimersByTime(1999);
    expect(due).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(due).toHaveBeenCalledTimes(1);
    expect(schedule.waiting).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(due).toHaveBeenCalledTimes(1);
  });

  it("keeps one waiting attempt: a new one replaces it and a cancelled one never runs", () => {
    const schedule = new ReconnectSchedule(options);
    const first = vi.fn();
    const second = vi.fn();
    schedule.schedule(1, first);
    schedule.schedule(3, second);
    vi.advanceTimersByTime(4000);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);

    schedule.schedule(1, first);
    expect(schedule.cancel()).toBe(true);
    expect(schedule.cancel()).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(first).not.toHaveBeenCalled();
  });
});
