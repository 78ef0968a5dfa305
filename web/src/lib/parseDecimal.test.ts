import { describe, expect, it } from "vitest";
import { formatForInput, parseDecimal } from "./parseDecimal";

const value = (raw: string, locale: string) => {
  const r = parseDecimal(raw, locale);
  if (!r.ok) throw new Error(`${raw} (${locale}): ${r.error}`);
  return r.value;
};
const error = (raw: string, locale: string) => {
  const r = parseDecimal(raw, locale);
  if (r.ok) throw new Error(`${raw} (${locale}) was read as ${r.value}`);
  return r.error;
};

const NNBSP = "\u202F";
const NBSP = "\u00A0";

describe("parseDecimal", () => {
  it("reads en-US grouping and decimals", () => {
    expect(value("100,000", "en-US")).toBe("100000");
    expect(value("1,000", "en-US")).toBe("1000");
    expect(value("60,000.50", "en-US")).toBe("60000.5");
    expect(value("1,234,567.0001", "en-US")).toBe("1234567.0001");
    expect(value("1000.5", "en-US")).toBe("1000.5");
    expect(value("0.00001234", "en-US")).toBe("0.00001234");
    expect(value(".5", "en-US")).toBe("0.5");
    expect(value(" 007 ", "en-US")).toBe("7");
    expect(value("1 000", "en-US")).toBe("1000");
  });

  it("reads de-DE grouping and decimals, and plain input", () => {
    expect(value("1.000,5", "de-DE")).toBe("1000.5");
    expect(value("92.261,82", "de-DE")).toBe("92261.82");
    expect(value("1.000.000", "de-DE")).toBe("1000000");
    expect(value("100,000", "de-DE")).toBe("100");
    expect(value("0,5", "de-DE")).toBe("0.5");
    expect(value("1000.5", "de-DE")).toBe("1000.5");
    expect(value("1.5", "de-DE")).toBe("1.5");
    expect(value("0.500", "de-DE")).toBe("0.5");
  });

  it("reads fr-FR narrow no-break space grouping and comma decimals", () => {
    expect(value(`1${NNBSP}000,5`, "fr-FR")).toBe("1000.5");
    expect(value(`1${NBSP}000${NBSP}000`, "fr-FR")).toBe("1000000");
    expect(value("1 000,25", "fr-FR")).toBe("1000.25");
    expect(value("0,00001234", "fr-FR")).toBe("0.00001234");
    expect(value("1.000,5", "fr-FR")).toBe("1000.5");
    expect(value("1000.5", "fr-FR")).toBe("1000.5");
  });

  it("reads hi-IN lakh grouping (and 3-3 grouping there)", () => {
    expect(value("1,00,000", "hi-IN")).toBe("100000");
    expect(value("12,34,567.89", "hi-IN")).toBe("1234567.89");
    expect(value("100,000", "hi-IN")).toBe("100000");
    expect(error("1,00,00", "hi-IN")).toMatch(/Write numbers like 1,234.50/);
    expect(error("123,45,678", "hi-IN")).toMatch(/Write numbers like/);
    expect(error("1234,567", "en-US")).toMatch(/Did you mean 1234567 or 1234.567/);
  });

  it("reads de-CH apostrophes, typed straight or curly", () => {
    expect(value("1'000.5", "de-CH")).toBe("1000.5");
    expect(value("1\u2019000.5", "de-CH")).toBe("1000.5");
  });

  it("reads the locale's own digits", () => {
    expect(value("١٢٬٣٤٥٫٥", "ar-EG")).toBe("12345.5");
  });

  it("keeps digits exact where a float would not", () => {
    expect(value("98,765,432,101.123456789012345678", "en-US")).toBe(
      "98765432101.123456789012345678",
    );
    expect(value("0.1", "en-US")).toBe("0.1");
  });

  it("keeps the sign for the caller to judge", () => {
    expect(value("-1,000.5", "en-US")).toBe("-1000.5");
    expect(value("\u22120,5", "de-DE")).toBe("-0.5");
    expect(value("+2", "en-US")).toBe("2");
    expect(value("-0", "en-US")).toBe("0");
  });

  it("asks instead of guessing when a mark could be either", () => {
    expect(error("1,00", "en-US")).toBe("Did you mean 100 or 1.00?");
    expect(error("1,0000", "en-US")).toBe("Did you mean 10000 or 1.0000?");
    expect(error("0,5", "en-US")).toBe("Did you mean 0.5?");
    expect(error("1.000", "de-DE")).toBe("Did you mean 1000 or 1,000?");
    expect(error("100.000", "de-DE")).toBe("Did you mean 100000 or 100,000?");
    expect(error("1.000", "fr-FR")).toBe("Did you mean 1000 or 1,000?");
    expect(error("1,00", "hi-IN")).toBe("Did you mean 100 or 1.00?");
  });

  it("gives both readings of an ambiguous number", () => {
    expect(parseDecimal("-12.345", "de-DE")).toEqual({
      ok: false,
      error: "Did you mean 12345 or 12,345?",
      readings: { grouped: "-12345", decimal: "-12.345" },
    });
  });

  it("refuses what is not a number in the locale, with its format as an example", () => {
    expect(error("", "en-US")).toBe("Enter a number");
    expect(error("abc", "en-US")).toMatch(/^Write numbers like 1,234.50 or 1234.5$/);
    expect(error("1e5", "en-US")).toMatch(/Write numbers like/);
    expect(error("$100", "en-US")).toMatch(/Write numbers like/);
    expect(error("1.000,5", "en-US")).toMatch(/Write numbers like 1,234.50/);
    expect(error("1,000.000.5", "en-US")).toMatch(/Write numbers like/);
    expect(error("1,000 000", "en-US")).toMatch(/Write numbers like/);
    expect(error("1.000.5", "de-DE")).toMatch(/Write numbers like 1.234,50/);
    expect(error("0.000,01", "de-DE")).toMatch(/Write numbers like/);
    expect(error("1,000,5", "de-DE")).toMatch(/Write numbers like/);
    expect(error("5.", "en-US")).toMatch(/Write numbers like/);
    expect(error("-", "en-US")).toMatch(/Write numbers like/);
    expect(error("1,", "de-DE")).toMatch(/Write numbers like/);
    expect(error(`1${NNBSP}00,5`, "fr-FR")).toMatch(/Write numbers like 1\s234,50/);
  });
});

describe("parseDecimal and Intl", () => {
  it("reads back what Intl writes, in many locales", () => {
    const locales = ["en-US", "de-DE", "fr-FR", "hi-IN", "de-CH", "es-ES", "sv-SE", "pt-BR"];
    locales.push("it-IT", "nl-NL", "ja-JP", "ar-EG", "fa-IR", "he-IL", "pl-PL", "ru-RU", "bn-IN");
    const values = ["1234567.89", "0.5", "12345.678", "1000000.25", "-98765.4321", "12.34"];
    for (const locale of locales) {
      for (const v of values) {
        const decimals = (v.split(".")[1] ?? "").length;
        const text = new Intl.NumberFormat(locale, { minimumFractionDigits: decimals }).format(
          Number(v),
        );
        expect([locale, text, parseDecimal(text, locale)]).toEqual([
          locale,
          text,
          { ok: true, value: v },
        ]);
      }
    }
  });
});

describe("formatForInput", () => {
  it("writes a stored value so that it reads back the same in the locale", () => {
    for (const locale of ["en-US", "de-DE", "fr-FR", "hi-IN", "de-CH"]) {
      for (const v of ["1.234", "1000", "0.00001234", "100000.5", "12345678.123456789"]) {
        expect(value(formatForInput(v, locale), locale)).toBe(v);
      }
    }
    expect(formatForInput("1.234", "de-DE")).toBe("1,234");
  });
});
