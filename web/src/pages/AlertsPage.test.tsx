import { fireEvent, render, screen } from "@testing-library/react";
import { act } from "react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Router } from "wouter";
import { memoryLocation } from "wouter/memory-location";
import { useAlertsStore } from "../store/alertsStore";
import { EMPTY_RATES, readRates } from "../lib/fx";
import { useCryptoStore } from "../store/cryptoStore";
import { useCurrencyStore } from "../store/currencyStore";
import { useMarketMetaStore } from "../store/marketMetaStore";
import { AlertsPage } from "./AlertsPage";

beforeEach(() => {
  localStorage.clear();
  useAlertsStore.setState({ alerts: [], history: [] });
  useCryptoStore.setState({ prices: {} });
});

function renderPage() {
  const { hook, searchHook } = memoryLocation({ path: "/alerts?symbol=BTCUSDT" });
  render(
    <Router hook={hook} searchHook={searchHook}>
      <AlertsPage />
    </Router>,
  );
  const price = screen.getByTestId("alert-price");
  const submit = (text: string) => {
    fireEvent.change(price, { target: { value: text } });
    fireEvent.click(screen.getByTestId("alert-submit"));
  };
  return { price, submit };
}

// The test environment's default locale is en-US.
describe("AlertsPage", () => {
  it("asks about an ambiguous price next to the field and saves nothing", () => {
    const { price, submit } = renderPage();
    submit("1,00");
    expect(price.getAttribute("aria-invalid")).toBe("true");
    const message = document.getElementById(price.getAttribute("aria-describedby") ?? "");
    expect(message?.textContent).toBe("Did you mean 100 or 1.00?");
    expect(useAlertsStore.getState().alerts).toEqual([]);
  });

  it("saves 100,000 as the decimal string 100000 and clears the error", () => {
    const { price, submit } = renderPage();
    submit("1,00");
    submit("100,000");
    expect(useAlertsStore.getState().alerts.map((a) => a.condition)).toEqual([
      { kind: "above", price: "100000" },
    ]);
    expect(price.getAttribute("aria-invalid")).toBeNull();
    expect(price.getAttribute("aria-describedby")).toBeNull();
    expect(screen.getByTestId("alert-row").textContent).toContain("crosses above 100,000.00");
  });

  it("reads a move's percent and minutes, and says which one is wrong", () => {
    renderPage();
    fireEvent.change(screen.getByTestId("alert-kind"), { target: { value: "move" } });
    fireEvent.change(screen.getByTestId("alert-percent"), { target: { value: "2.5" } });
    fireEvent.change(screen.getByTestId("alert-minutes"), { target: { value: "1.5" } });
    fireEvent.click(screen.getByTestId("alert-submit"));
    expect(screen.getByTestId("alert-minutes-error").textContent).toMatch(/whole number/);
    expect(screen.getByTestId("alert-percent").getAttribute("aria-invalid")).toBeNull();
    fireEvent.change(screen.getByTestId("alert-minutes"), { target: { value: "1,440" } });
    fireEvent.click(screen.getByTestId("alert-submit"));
    expect(useAlertsStore.getState().alerts.map((a) => a.condition)).toEqual([
      { kind: "move", percent: "2.5", minutes: 1440 },
    ]);
  });

  it("notes that an alert already true fires only when the price crosses back", () => {
    useCryptoStore.getState().applyUpdates(
      [
        {
          symbol: "BTCUSDT",
          price: "92961.5",
          priceChangePercent: "0",
          high24h: "93000",
          low24h: "92000",
          volume24h: "1",
          lastUpdateTime: 1,
          source: "binance",
        },
      ],
      1,
    );
    const { price, submit } = renderPage();
    fireEvent.change(price, { target: { value: "90,000" } });
    expect(screen.getByTestId("alert-note").textContent).toBe(
      "BTCUSDT is already above 90,000.00 — this fires when it crosses back above",
    );
    fireEvent.change(price, { target: { value: "95,000" } });
    expect(screen.queryByTestId("alert-note")).toBeNull();
    submit("90,000");
    expect(useAlertsStore.getState().alerts).toMatchObject([{ armed: false, state: "active" }]);
  });

  it("saves the re-arm rule and lists fired alerts", () => {
    renderPage();
    fireEvent.change(screen.getByTestId("alert-rearm"), { target: { value: "cooldown" } });
    fireEvent.change(screen.getByTestId("alert-cooldown"), { target: { value: "30" } });
    fireEvent.change(screen.getByTestId("alert-price"), { target: { value: "100000" } });
    fireEvent.click(screen.getByTestId("alert-submit"));
    const [a] = useAlertsStore.getState().alerts;
    expect(a?.rearm).toEqual({ kind: "cooldown", minutes: 30 });
    expect(screen.getByTestId("alert-row").textContent).toContain("fires at most every 30 min");
    act(() =>
      useAlertsStore.getState().apply(
        [],
        [
          {
            alertId: a!.id,
            symbol: "BTCUSDT",
            rule: "crosses above 100,000.00",
            price: "100012.5",
            at: Date.UTC(2026, 10, 30, 14, 0),
            message: "m",
          },
        ],
      ),
    );
    expect(screen.getByTestId("alert-history-row").textContent).toContain(
      "crosses above 100,000.00at 100,012.50",
    );
  });
});

describe("AlertsPage in the user's currency", () => {
  beforeEach(() => {
    useCurrencyStore.setState({ currency: "EUR" });
    useMarketMetaStore.setState({
      rates: readRates({
        rates: [{ currency: "EUR", rate: "0.5", source: "test:EURUSDT", asOf: Date.now() - 3000 }],
      }),
    });
  });
  afterEach(() => {
    useCurrencyStore.setState({ currency: "USDT" });
    useMarketMetaStore.setState({ rates: EMPTY_RATES });
  });

  it("keeps the threshold in the market's currency, shows it converted, and says at what rate", () => {
    const { submit } = renderPage();
    submit("100000");
    const [alert] = useAlertsStore.getState().alerts;
    expect(alert?.currency).toBe("USDT");
    expect(alert?.condition).toEqual({ kind: "above", price: "100000" });
    const row = screen.getByTestId("alert-row");
    expect(row.textContent).toContain("crosses above 100,000.00 USDT");
    expect(row.querySelector("[data-testid=converted]")?.textContent).toBe("(≈ €50,000.00)");
    const note = screen.getByTestId("conversion-note");
    expect(note.textContent).toContain("1 USDT = 0.5 EUR");
    expect(note.textContent).toContain("test:EURUSDT");
  });
});
