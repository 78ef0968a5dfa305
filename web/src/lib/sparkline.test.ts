import { describe, expect, it } from "vitest";
import { sparklinePath, withLivePoint } from "./sparkline";

describe("sparklinePath", () => {
  it("spans the box, the highest price at the top", () => {
    expect(sparklinePath([1, 3, 2], 100, 20)).toBe("M0.0 20.0L50.0 0.0L100.0 10.0");
  });

  it("draws a flat series across the middle, and nothing for one point", () => {
    expect(sparklinePath([5, 5], 10, 20)).toBe("M0.0 10.0L10.0 10.0");
    expect(sparklinePath([5], 10, 20)).toBe("");
  });

  it("ends at the live price when there is one", () => {
    expect(withLivePoint([1, 2], 3)).toEqual([1, 2, 3]);
    expect(withLivePoint([1, 2], null)).toEqual([1, 2]);
    expect(withLivePoint([], 3)).toEqual([]);
  });
});
