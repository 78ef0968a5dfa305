import { describe, expect, it } from "vitest";
import type { PriceUpdate } from "../protocol";
import { isAck, readServerMessage } from "./serverMessages";

const NOW = 1_700_000_000_000;
const update: PriceUpdate = {
  symbol: "BTCUSDT",
  price: "0.00001234",
  priceChangePercent: "1.5",
  high24h: "1",
  low24h: "0.5",
  volume24h: "10",
  lastUpdateTime: NOW,
  source: "binance",
};
const envelope = (event: string, data: unknown) => ({ event, data, timestamp: NOW });

describe("readServerMessage", () => {
  it("reads a batch's good updates with the server's time, and says when some were left out", () => {
    const batch = { updates: [update, { symbol: "BTCUSDT", price: 12 }], timestamp: NOW };
    expect(readServerMessage("batch_update", envelope("batch_update", batch))).toEqual({
      kind: "prices",
      updates: [update],
      serverTime: NOW,
      snapshot: false,
      dropped: true,
    });
    const snapshot = { updates: [update], timestamp: NOW, snapshot: true };
    expect(readServerMessage("batch_update", envelope("batch_update", snapshot))).toMatchObject({
      snapshot: true,
      dropped: false,
    });
  });

  it("calls a known event with a bad payload malformed and an event it does not know unknown", () => {
    expect(readServerMessage("batch_update", "not an envelope")).toEqual({ kind: "malformed" });
    expect(readServerMessage("candle_update", null)).toEqual({ kind: "malformed" });
    expect(readServerMessage("batch_update", envelope("batch_update", { updates: "x" }))).toEqual({
      kind: "malformed",
    });
    expect(
      readServerMessage("candle_update", envelope("candle_update", { symbol: "btc" })),
    ).toEqual({ kind: "malformed" });
    // An envelope naming another event than the one it came as is not trusted.
    expect(readServerMessage("error", envelope("pong", {}))).toEqual({ kind: "malformed" });
    expect(readServerMessage("mystery", envelope("mystery", {}))).toEqual({ kind: "unknown" });
    expect(readServerMessage("mystery", "x")).toEqual({ kind: "unknown" });
  });

  it("reads errors, feed status and pongs", () => {
    const error = { code: "unknown_symbol", message: "no such market" };
    expect(readServerMessage("error", envelope("error", error))).toEqual({ kind: "error", error });
    expect(readServerMessage("pong", envelope("pong", {}))).toEqual({ kind: "pong" });
    const status = {
      status: "connected",
      message: "",
      timestamp: NOW,
      source: "binance",
      live: true,
    };
    expect(
      readServerMessage("connection_status", envelope("connection_status", status)),
    ).toMatchObject({ kind: "feedStatus" });
  });
});

describe("isAck", () => {
  it("takes an answer with ok and lists, and nothing else", () => {
    expect(isAck({ ok: true, added: ["BTCUSDT"], removed: [] })).toBe(true);
    expect(isAck({ ok: false })).toBe(true);
    expect(isAck({ ok: "yes" })).toBe(false);
    expect(isAck({ ok: true, added: "BTCUSDT" })).toBe(false);
    expect(isAck(null)).toBe(false);
  });
});
