import { beforeEach, describe, expect, it } from "vitest";
import { CURRENCY_STORAGE_KEY, useCurrencyStore } from "./currencyStore";

beforeEach(() => {
  localStorage.clear();
  useCurrencyStore.setState({ currency: "USDT" });
});

describe("currencyStore", () => {
  it("keeps the chosen currency for the next visit, refusing what is not a code", async () => {
    useCurrencyStore.getState().setCurrency("EUR");
    useCurrencyStore.getState().setCurrency("<script>");
    expect(useCurrencyStore.getState().currency).toBe("EUR");
    expect(JSON.parse(localStorage.getItem(CURRENCY_STORAGE_KEY) ?? "{}").state.currency).toBe(
      "EUR",
    );
    localStorage.setItem(
      CURRENCY_STORAGE_KEY,
      JSON.stringify({ version: 1, state: { currency: "JPY" } }),
    );
    await useCurrencyStore.persist.rehydrate();
    expect(useCurrencyStore.getState().currency).toBe("JPY");
  });

  it("falls back to USDT when the stored value is damaged", async () => {
    localStorage.setItem(
      CURRENCY_STORAGE_KEY,
      JSON.stringify({ version: 1, state: { currency: 42 } }),
    );
    useCurrencyStore.setState({ currency: "USDT" });
    await useCurrencyStore.persist.rehydrate();
    expect(useCurrencyStore.getState().currency).toBe("USDT");
  });
});
