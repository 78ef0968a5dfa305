import { render } from "@testing-library/react";
import { act } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { useAlertsStore } from "../store/alertsStore";
import { useCryptoStore } from "../store/cryptoStore";
import { useToastStore } from "../store/toastStore";
import { useAlertsEngine } from "./useAlertsEngine";

const setSymbols = vi.fn();
vi.mock("../lib/market", () => ({ marketClient: () => ({ setSymbols }) }));

function Engine() {
  useAlertsEngine();
  return null;
}

const update = (price: string, t: number) => ({
  symbol: "BTCUSDT",
  price,
  priceChangePercent: "0",
  high24h: price,
  low24h: price,
  volume24h: "1",
  lastUpdateTime: t,
  source: "binance" as const,
});

beforeEach(() => {
  localStorage.clear();
  useAlertsStore.setState({ alerts: [] });
  useToastStore.setState({ toasts: [] });
  useCryptoStore.setState({ prices: {} });
  setSymbols.mockClear();
});

describe("useAlertsEngine", () => {
  it("keeps alert symbols subscribed and fires once, with a toast, when the price crosses", () => {
    useAlertsStore.getState().add("BTCUSDT", { kind: "above", price: "100000" });
    render(<Engine />);
    expect(setSymbols).toHaveBeenCalledWith("alerts", ["BTCUSDT"]);

    act(() => useCryptoStore.getState().applyUpdates([update("99999", 1)], 1));
    expect(useAlertsStore.getState().alerts[0]?.state).toBe("active");

    act(() => useCryptoStore.getState().applyUpdates([update("100050", 2)], 2));
    const alert = useAlertsStore.getState().alerts[0];
    expect(alert?.state).toBe("triggered");
    expect(alert?.triggeredPrice).toBe("100050");
    expect(useToastStore.getState().toasts).toHaveLength(1);
    expect(useToastStore.getState().toasts[0]?.body).toMatch(/above/);

    act(() => useCryptoStore.getState().applyUpdates([update("100100", 3)], 3));
    expect(useToastStore.getState().toasts).toHaveLength(1);
    // A triggered alert no longer needs its symbol live.
    expect(setSymbols).toHaveBeenLastCalledWith("alerts", []);
  });
});
