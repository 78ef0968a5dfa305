import { act, render } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useThrottledValue } from "./useThrottledValue";

function Probe({ value }: { value: number }) {
  const shown = useThrottledValue(value, 100);
  return <span data-testid="v">{shown}</span>;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => vi.useRealTimers());

describe("useThrottledValue", () => {
  it("shows the first change at once and at most one more per interval, ending on the latest", () => {
    const { getByTestId, rerender } = render(<Probe value={0} />);
    rerender(<Probe value={1} />);
    expect(getByTestId("v").textContent).toBe("1");
    for (let v = 2; v <= 20; v += 1) {
      act(() => vi.advanceTimersByTime(5));
      rerender(<Probe value={v} />);
    }
    // 95 ms after the first change: 2..20 are held back.
    expect(getByTestId("v").textContent).toBe("1");
    act(() => vi.advanceTimersByTime(10));
    expect(getByTestId("v").textContent).toBe("20");
  });

  it("updates at most ten times a second under a continuous stream", () => {
    const { getByTestId, rerender } = render(<Probe value={0} />);
    const shown = new Set<string>();
    for (let v = 1; v <= 1000; v += 1) {
      rerender(<Probe value={v} />);
      shown.add(getByTestId("v").textContent ?? "");
      act(() => vi.advanceTimersByTime(1)); // 1000 values over one second
    }
    act(() => vi.advanceTimersByTime(200));
    shown.add(getByTestId("v").textContent ?? "");
    expect(getByTestId("v").textContent).toBe("1000");
    expect(shown.size).toBeLessThanOrEqual(12); // initial + ≤10 per second + trailing
    expect(shown.size).toBeGreaterThanOrEqual(9);
  });
});
