import { act, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { initialLink, useCryptoStore } from "../store/cryptoStore";
import { useClockStore } from "../store/clockStore";
import { ConnectionBar, LONG_OUTAGE_MS } from "./ConnectionBar";

const NOW = 1_700_000_000_000;

beforeEach(() => {
  useClockStore.setState({ now: NOW });
  useCryptoStore.setState({ link: initialLink, feed: null, lastMessageAt: null });
});

describe("ConnectionBar", () => {
  it("shows connected with the age of the last update and the source", () => {
    useCryptoStore.setState({
      link: { ...initialLink, state: "connected" },
      lastMessageAt: NOW - 2500,
      feed: { status: "connected", message: "", timestamp: NOW, source: "binance", live: true },
    });
    render(<ConnectionBar />);
    expect(screen.getByTestId("connection-status").dataset.state).toBe("connected");
    expect(screen.getByTestId("connection-label").textContent).toBe("Connected");
    expect(screen.getByTestId("last-update").textContent).toBe("Last update 2.5 s ago");
    expect(screen.getByTestId("source-badge").dataset.source).toBe("binance");
  });

  it("counts down to the next retry while reconnecting", () => {
    useCryptoStore.setState({
      link: {
        ...initialLink,
        state: "reconnecting",
        attempt: 3,
        nextRetryAt: NOW + 3600,
        downSince: NOW - 7000,
      },
    });
    render(<ConnectionBar />);
    expect(screen.getByTestId("connection-label").textContent).toBe(
      "Reconnecting · attempt 3 · next retry in 4 s",
    );
    act(() => useClockStore.setState({ now: NOW + 2000 }));
    expect(screen.getByTestId("connection-label").textContent).toMatch(/next retry in 2 s/);
    expect(screen.queryByTestId("reconnect")).toBeNull();
  });

  it("says disconnected and offers a manual reconnect after five minutes down", () => {
    useCryptoStore.setState({
      link: {
        ...initialLink,
        state: "reconnecting",
        attempt: 12,
        nextRetryAt: NOW + 20_000,
        downSince: NOW - LONG_OUTAGE_MS,
      },
    });
    render(<ConnectionBar />);
    expect(screen.getByTestId("connection-status").dataset.state).toBe("disconnected");
    expect(screen.getByTestId("connection-label").textContent).toBe(
      "Disconnected for 5 min · next retry in 20 s",
    );
    expect(screen.getByTestId("reconnect")).toBeTruthy();
  });

  it("tells a link that is up from a feed that is not", () => {
    useCryptoStore.setState({
      link: { ...initialLink, state: "connected" },
      feed: {
        status: "disconnected",
        message: "no price source connected: starting",
        timestamp: NOW,
        source: null,
        live: false,
      },
    });
    render(<ConnectionBar />);
    expect(screen.getByTestId("connection-status").dataset.state).toBe("connected");
    expect(screen.getByTestId("connection-label").textContent).toBe("Connected · no price feed");
  });
});
