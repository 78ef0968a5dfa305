import { act, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { SourceBanner, secondsUntil } from "./SourceBanner";
import { useClockStore } from "../store/clockStore";
import { useCryptoStore } from "../store/cryptoStore";

const NOW = 1_700_000_000_000;

beforeEach(() => {
  useClockStore.setState({ now: NOW });
  useCryptoStore.setState({ feed: null, clockOffsetMs: 0 });
});

describe("SourceBanner", () => {
  it("is a polite status, not an alert", () => {
    useCryptoStore.setState({
      feed: { status: "connected", message: "", timestamp: NOW, source: "simulator", live: false },
    });
    render(<SourceBanner />);
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.getByRole("status").textContent).toContain("Simulated prices");
  });

  it("counts down to the server's next attempt, outside the live region", () => {
    useCryptoStore.setState({
      feed: {
        status: "degraded",
        message: "Binance unavailable (refused; retry 5 scheduled)",
        timestamp: NOW,
        source: "coingecko",
        live: false,
        retryAt: NOW + 17_300,
      },
    });
    render(<SourceBanner />);
    const retry = screen.getByTestId("feed-retry");
    expect(retry.textContent).toBe(" Next attempt in 18 s.");
    act(() => useClockStore.setState({ now: NOW + 10_000 }));
    expect(retry.textContent).toBe(" Next attempt in 8 s.");
    act(() => useClockStore.setState({ now: NOW + 20_000 }));
    expect(retry.textContent).toBe(" Trying now…");
    expect(screen.getByRole("status").contains(retry)).toBe(false);
  });
});

describe("SourceBanner of a restricted feed", () => {
  it("says Binance refuses the server's location and names the source serving instead", () => {
    useCryptoStore.setState({
      feed: {
        status: "degraded",
        message: "Binance unavailable (restricted location (HTTP 451)); prices from coingecko",
        timestamp: NOW,
        source: "coingecko",
        live: false,
        restricted: true,
      },
    });
    render(<SourceBanner />);
    expect(screen.getByTestId("source-banner").dataset.restricted).toBe("true");
    expect(screen.getByRole("status").textContent).toBe(
      "Binance refuses this server's location (HTTP 451) — prices come from CoinGecko (delayed).",
    );
  });

  it("says so while no other source serves yet", () => {
    useCryptoStore.setState({
      feed: {
        status: "disconnected",
        message: "no price source connected",
        timestamp: NOW,
        source: "binance",
        live: false,
        restricted: true,
      },
    });
    render(<SourceBanner />);
    expect(screen.getByRole("status").textContent).toBe(
      "Binance refuses this server's location (HTTP 451) — prices come from no other source yet.",
    );
  });
});

describe("secondsUntil", () => {
  it("reads the deadline on the server's clock", () => {
    expect(secondsUntil(10_000, 5_000, 0)).toBe(5);
    expect(secondsUntil(10_000, 5_000, 2_000)).toBe(3);
    expect(secondsUntil(10_000, 12_000, 0)).toBe(0);
    expect(secondsUntil(null, 5_000, 0)).toBeNull();
  });
});

describe("SourceBanner of a live fallback exchange", () => {
  it("names the live exchange serving while Binance refuses the location", () => {
    useCryptoStore.setState({
      feed: {
        status: "degraded",
        message: "Binance refuses this location (451); live prices from Coinbase",
        timestamp: NOW,
        source: "coinbase",
        live: true,
        restricted: true,
      },
    });
    render(<SourceBanner />);
    expect(screen.getByRole("status").textContent).toBe(
      "Binance refuses this server's location (HTTP 451) — prices come from Coinbase.",
    );
  });

  it("is silent while the first exchange of the order serves live", () => {
    useCryptoStore.setState({
      feed: { status: "connected", message: "", timestamp: NOW, source: "kraken", live: true },
    });
    render(<SourceBanner />);
    expect(screen.queryByTestId("source-banner")).toBeNull();
  });
});
