import { describe, expect, it } from "vitest";
import { add, dec, mul, ratio, sub, toDecimalString, type Dec } from "./decimal";

const d = (s: string): Dec => {
  const v = dec(s);
  if (v === null) throw new Error(s);
  return v;
};

describe("decimal", () => {
  it("keeps exact digits where floats drift", () => {
    expect(toDecimalString(add(d("0.1"), d("0.2")))).toBe("0.3");
    expect(toDecimalString(mul(d("0.00001234"), d("1000000")))).toBe("12.34");
    expect(toDecimalString(mul(d("98765432101.12345678"), d("2")))).toBe("197530864202.24691356");
    expect(toDecimalString(sub(d("1"), d("1.5")))).toBe("-0.5");
  });

  it("rejects what is not a plain decimal", () => {
    expect(dec("1e5")).toBeNull();
    expect(dec("abc")).toBeNull();
    expect(dec("")).toBeNull();
  });

  it("gives ratios for display", () => {
    expect(ratio(d("25"), d("100"))).toBeCloseTo(0.25);
    expect(ratio(d("1"), d("0"))).toBe(0);
  });
});
