import { fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { usePortfolioStore } from "../store/portfolioStore";
import { LotForm } from "./LotForm";

beforeEach(() => {
  localStorage.clear();
  usePortfolioStore.setState({ lots: [] });
});

function fill(side: string, amount: string, price: string, fee = "") {
  fireEvent.change(screen.getByTestId("lot-symbol"), { target: { value: "BTCUSDT" } });
  fireEvent.change(screen.getByTestId("lot-side"), { target: { value: side } });
  fireEvent.change(screen.getByTestId("lot-amount"), { target: { value: amount } });
  fireEvent.change(screen.getByTestId("lot-price"), { target: { value: price } });
  fireEvent.change(screen.getByTestId("lot-fee"), { target: { value: fee } });
  fireEvent.click(screen.getByTestId("lot-submit"));
}

const addLot: Parameters<typeof LotForm>[0]["onSubmit"] = (input, at) =>
  usePortfolioStore.getState().addLot(input, undefined, undefined, at);

// The test environment's default locale is en-US.
describe("LotForm", () => {
  it("shows each field's error as its description and saves nothing", () => {
    render(<LotForm symbols={[]} onSubmit={addLot} />);
    fill("buy", "1,00", "60,000");
    const amount = screen.getByTestId("lot-amount");
    expect(amount.getAttribute("aria-invalid")).toBe("true");
    const message = document.getElementById(amount.getAttribute("aria-describedby") ?? "");
    expect(message?.textContent).toBe("Did you mean 100 or 1.00?");
    expect(screen.getByTestId("lot-price").getAttribute("aria-invalid")).toBeNull();
    expect(usePortfolioStore.getState().lots).toEqual([]);
  });

  it("stores a buy of 1,000 at 60,000 with a fee, then a sell, as decimal strings", () => {
    render(<LotForm symbols={[]} onSubmit={addLot} />);
    fill("buy", "1,000", "60,000", "12.5");
    expect(screen.getByTestId("lot-amount")).toHaveProperty("value", "");
    fill("sell", "2,000", "61,000");
    expect(screen.getByTestId("lot-amount-error").textContent).toBe(
      "You hold 1,000 BTCUSDT: cannot sell more",
    );
    fill("sell", "400", "61,000");
    expect(
      usePortfolioStore.getState().lots.map((l) => [l.side, l.amount, l.price, l.fee]),
    ).toEqual([
      ["buy", "1000", "60000", "12.5"],
      ["sell", "400", "61000", "0"],
    ]);
  });

  it("dates a lot when given a past date, and refuses a future one", () => {
    const now = new Date(2026, 10, 30, 12, 0).getTime();
    render(<LotForm symbols={[]} onSubmit={addLot} now={() => now} />);
    const date = screen.getByTestId("lot-date");
    fireEvent.change(date, { target: { value: "2026-12-01T09:30" } });
    fill("buy", "1", "100");
    expect(screen.getByTestId("lot-date-error").textContent).toBe("The date is in the future");
    expect(usePortfolioStore.getState().lots).toEqual([]);
    fireEvent.change(date, { target: { value: "2026-01-15T09:30" } });
    fill("buy", "1", "100");
    expect(usePortfolioStore.getState().lots.map((l) => l.at)).toEqual([
      new Date(2026, 0, 15, 9, 30).getTime(),
    ]);
    expect(date).toHaveProperty("value", "");
  });
});
