import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff";

describe("backoffDelay", () => {
  it("doubles from 1 s and stops at 30 s", () => {
    const opts = { baseMs: 1000, maxMs: 30000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffDelay(n, opts))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  it("takes at most the jitter fraction off", () => {
    const opts = { baseMs: 1000, maxMs: 30000, jitter: 0.2 };
    expect(backoffDelay(1, { ...opts, random: () => 0 })).toBe(1000);
    expect(backoffDelay(1, { ...opts, random: () => 0.999 })).toBe(800);
    expect(backoffDelay(10, { ...opts, random: () => 0.5 })).toBe(27000);
  });
});
