import { fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { usePortfolioStore } from "../store/portfolioStore";
import { HoldingForm } from "./HoldingForm";

beforeEach(() => {
  localStorage.clear();
  usePortfolioStore.setState({ holdings: [] });
});

function fill(amount: string, avgPrice: string) {
  fireEvent.change(screen.getByTestId("holding-symbol"), { target: { value: "BTCUSDT" } });
  fireEvent.change(screen.getByTestId("holding-amount"), { target: { value: amount } });
  fireEvent.change(screen.getByTestId("holding-avgPrice"), { target: { value: avgPrice } });
  fireEvent.click(screen.getByTestId("holding-submit"));
}

// The test environment's default locale is en-US.
describe("HoldingForm", () => {
  it("shows each field's error as its description and saves nothing", () => {
    render(
      <HoldingForm symbols={[]} submitLabel="Add" onSubmit={usePortfolioStore.getState().add} />,
    );
    fill("1,00", "60,000");
    const amount = screen.getByTestId("holding-amount");
    expect(amount.getAttribute("aria-invalid")).toBe("true");
    const message = document.getElementById(amount.getAttribute("aria-describedby") ?? "");
    expect(message?.textContent).toBe("Did you mean 100 or 1.00?");
    expect(screen.getByTestId("holding-avgPrice").getAttribute("aria-invalid")).toBeNull();
    expect(usePortfolioStore.getState().holdings).toEqual([]);
  });

  it("stores 1,000 at 60,000 as the decimal strings 1000 and 60000", () => {
    render(
      <HoldingForm symbols={[]} submitLabel="Add" onSubmit={usePortfolioStore.getState().add} />,
    );
    fill("1,000", "60,000");
    expect(
      usePortfolioStore.getState().holdings.map((h) => [h.symbol, h.amount, h.avgPrice]),
    ).toEqual([["BTCUSDT", "1000", "60000"]]);
    expect(screen.getByTestId("holding-amount")).toHaveProperty("value", "");
  });
});
