import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CandleSubscription, ErrorData } from "../protocol";
import { SubscriptionSync, type SubscriptionTransport } from "./subscriptionSync";

type Payload = { symbols?: string[]; candles?: CandleSubscription[]; all?: boolean };

/** The server's side of one connection, in memory: it holds a set and answers with an `Ack`. */
class FakeServer implements SubscriptionTransport {
  connected = true;
  readonly held = new Set<string>();
  readonly requests: string[] = [];
  acksToLose = 0;
  refuse: ErrorData | null = null;
  garbled = false;
  private seq = 0;

  nextRequestId(prefix: string): string {
    this.seq += 1;
    return `${prefix}-${this.seq}`;
  }

  request(event: "subscribe" | "unsubscribe", payload: object): Promise<unknown> {
    const p = payload as Payload;
    this.requests.push(p.all ? "reset" : `${event} ${(p.symbols ?? []).join(",")}`);
    if (!this.connected) return Promise.reject(new Error("disconnected"));
    const asked = p.all ? [...this.held] : (p.symbols ?? []);
    const changed =
      event === "subscribe"
        ? asked.filter((s) => !this.held.has(s))
        : asked.filter((s) => this.held.has(s));
    if (this.refuse) {
      return Promise.resolve({ ok: false, error: this.refuse, symbolCount: this.held.size });
    }
    for (const s of changed) {
      if (event === "subscribe") this.held.add(s);
      else this.held.delete(s);
    }
    if (this.acksToLose > 0) {
      this.acksToLose -= 1; // done, but the answer never arrives
      return Promise.reject(new Error("operation has timed out"));
    }
    if (this.garbled) return Promise.resolve("garbled");
    return Promise.resolve({
      ok: true,
      added: event === "subscribe" ? changed : [],
      removed: event === "unsubscribe" ? changed : [],
      symbolCount: this.held.size,
      candleCount: 0,
    });
  }
}

let server: FakeServer;
const onConfirmed = vi.fn();
const onServerError = vi.fn();
const onMalformedAck = vi.fn();

function sync() {
  return new SubscriptionSync(server, { onConfirmed, onServerError, onMalformedAck }, 150);
}

/** Past the debounce, every answer landed. */
const settle = () => vi.advanceTimersByTimeAsync(200);

beforeEach(() => {
  vi.useFakeTimers();
  vi.clearAllMocks();
  server = new FakeServer();
});
afterEach(() => vi.useRealTimers());

describe("SubscriptionSync", () => {
  it("sends the union of every owner's wishes as one diff per debounce window", async () => {
    const subs = sync();
    subs.setSymbols("markets", ["BTCUSDT", "ETHUSDT"]);
    subs.setSymbols("alerts", ["ETHUSDT", "SOLUSDT"]);
    await settle();
    expect(server.requests).toEqual(["subscribe BTCUSDT,ETHUSDT,SOLUSDT"]);
    expect(subs.confirmed.symbols).toEqual(["BTCUSDT", "ETHUSDT", "SOLUSDT"]);
    expect(onConfirmed).toHaveBeenLastCalledWith(["BTCUSDT", "ETHUSDT", "SOLUSDT"], []);

    subs.setSymbols("markets", ["BTCUSDT", "ETHUSDT"]); // the same again: nothing to send
    await settle();
    subs.setSymbols("markets", []);
    await settle();
    // ETHUSDT stays: the alerts still want it.
    expect(server.requests.slice(1)).toEqual(["unsubscribe BTCUSDT"]);
    expect(subs.confirmed.symbols).toEqual(["ETHUSDT", "SOLUSDT"]);
  });

  it("keeps candle wishes by symbol and interval", async () => {
    const subs = sync();
    subs.setCandles("chart", [{ symbol: "BTCUSDT", interval: "1m" }]);
    subs.setCandles("other", [
      { symbol: "BTCUSDT", interval: "1m" },
      { symbol: "BTCUSDT", interval: "1h" },
    ]);
    expect([...subs.wanted().candles].sort()).toEqual(["BTCUSDT|1h", "BTCUSDT|1m"]);
  });

  it("starts over from nothing after a lost answer, so it holds what the server holds", async () => {
    const subs = sync();
    server.acksToLose = 1;
    subs.setSymbols("markets", ["BTCUSDT"]);
    await settle();
    // The server did it, but no answer said so: the next round clears the server and replays.
    expect(server.requests).toEqual(["subscribe BTCUSDT", "reset", "subscribe BTCUSDT"]);
    expect(subs.confirmed.symbols).toEqual(["BTCUSDT"]);
    subs.setSymbols("markets", ["ETHUSDT"]);
    await settle();
    expect(server.requests.slice(3)).toEqual(["unsubscribe BTCUSDT", "subscribe ETHUSDT"]);
    expect([...server.held]).toEqual(["ETHUSDT"]);
    expect(subs.confirmed.symbols).toEqual(["ETHUSDT"]);
  });

  it("replays everything wanted on restart (a new server session holds nothing)", async () => {
    const subs = sync();
    subs.setSymbols("markets", ["BTCUSDT"]);
    await settle();
    server.held.clear(); // the server restarted
    subs.restart();
    expect(onConfirmed).toHaveBeenLastCalledWith([], []);
    await settle();
    expect(server.requests).toEqual(["subscribe BTCUSDT", "subscribe BTCUSDT"]);
    expect(subs.confirmed.symbols).toEqual(["BTCUSDT"]);
  });

  it("sends nothing while disconnected and nothing after stop", async () => {
    const subs = sync();
    server.connected = false;
    subs.setSymbols("markets", ["BTCUSDT"]);
    await settle();
    expect(server.requests).toEqual([]);
    server.connected = true;
    subs.setSymbols("markets", ["ETHUSDT"]);
    subs.stop();
    await settle();
    expect(server.requests).toEqual([]);
  });

  it("reports a refusal once and does not ask again for the same set", async () => {
    const subs = sync();
    server.refuse = { code: "too_many_symbols", message: "too many symbols" };
    subs.setSymbols("markets", ["BTCUSDT"]);
    await settle();
    await settle();
    expect(onServerError).toHaveBeenCalledTimes(1);
    expect(onServerError).toHaveBeenCalledWith(server.refuse);
    expect(server.requests).toEqual(["subscribe BTCUSDT"]);
  });

  it("reports an answer that is not an ack", async () => {
    const subs = sync();
    server.garbled = true;
    subs.setSymbols("markets", ["BTCUSDT"]);
    await settle();
    expect(onMalformedAck).toHaveBeenCalledTimes(1);
  });
});
