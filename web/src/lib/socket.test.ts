// @vitest-environment node
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket as ServerSocket } from "socket.io";
import { afterEach, describe, expect, it } from "vitest";
import { MarketClient, type LinkStatus, type MessageStats } from "./socket";
import type { PriceUpdate } from "../protocol";

/** A small stand-in of the backend gateway: real Socket.IO, acks shaped like `Ack`. */
class FakeGateway {
  readonly http: HttpServer;
  readonly io: Server;
  readonly requests: { event: string; sid: string; symbols: string[] }[] = [];
  readonly subs = new Map<string, Set<string>>();
  pings = 0;
  acksToLose = 0;

  constructor() {
    this.http = createServer();
    this.io = new Server(this.http, { pingInterval: 1000, pingTimeout: 1000 });
    this.io.on("connection", (socket) => this.onConnection(socket));
  }

  listen(port = 0): Promise<number> {
    return new Promise((resolve) => {
      this.http.listen(port, "127.0.0.1", () => resolve((this.http.address() as AddressInfo).port));
    });
  }

  async close(): Promise<void> {
    this.io.disconnectSockets(true);
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
  }

  private onConnection(socket: ServerSocket): void {
    const mine = new Set<string>();
    this.subs.set(socket.id, mine);
    type Payload = { symbols?: string[]; requestId?: string; all?: boolean };
    const ack = (requestId: string | undefined, added: string[], removed: string[]) => ({
      ok: true,
      requestId,
      added,
      removed,
      addedCandles: [],
      removedCandles: [],
      symbolCount: mine.size,
      candleCount: 0,
    });
    socket.on("subscribe", (data: Payload, reply: (a: unknown) => void) => {
      this.requests.push({ event: "subscribe", sid: socket.id, symbols: data.symbols ?? [] });
      const added = (data.symbols ?? []).filter((s) => !mine.has(s));
      for (const s of added) mine.add(s);
      if (this.acksToLose > 0) {
        this.acksToLose -= 1; // done, but the answer never arrives
        return;
      }
      reply(ack(data.requestId, added, []));
    });
    socket.on("unsubscribe", (data: Payload, reply: (a: unknown) => void) => {
      const asked = data.all ? [...mine] : (data.symbols ?? []);
      this.requests.push({
        event: data.all ? "reset" : "unsubscribe",
        sid: socket.id,
        symbols: asked,
      });
      const removed = asked.filter((s) => mine.has(s));
      for (const s of removed) mine.delete(s);
      reply(ack(data.requestId, [], removed));
    });
    socket.on("ping", (data: { requestId?: string }, reply: (a: unknown) => void) => {
      this.pings += 1;
      reply(ack(data.requestId, [], []));
    });
  }
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const update = (symbol: string, price: string): PriceUpdate => ({
  symbol,
  price,
  priceChangePercent: "1.5",
  high24h: price,
  low24h: price,
  volume24h: "100",
  lastUpdateTime: Date.now(),
  source: "simulator",
});

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function client(port: number, extra: Partial<ConstructorParameters<typeof MarketClient>[1]> = {}) {
  const links: LinkStatus[] = [];
  const prices: PriceUpdate[] = [];
  const stats: MessageStats[] = [];
  const c = new MarketClient(
    {
      onLink: (s) => links.push(s),
      onPrices: (u) => prices.push(...u),
      onStats: (s) => stats.push(s),
    },
    { url: `http://127.0.0.1:${port}`, jitter: 0, debounceMs: 10, ...extra },
  );
  cleanups.push(() => c.stop());
  return { c, links, prices, stats };
}

describe("MarketClient", () => {
  it("retries on the capped exponential schedule and shows attempt and next retry", async () => {
    const port = await freePort();
    const { c, links } = client(port, { baseDelayMs: 40, maxDelayMs: 200 });
    c.start();
    await waitFor(() => links.filter((l) => l.nextRetryAt !== null).length >= 6, "six retries");
    const scheduled = links.filter((l) => l.nextRetryAt !== null);
    expect(scheduled.map((l) => l.attempt)).toEqual([1, 2, 3, 4, 5, 6].slice(0, scheduled.length));
    const delays = scheduled.map((l) => (l.nextRetryAt ?? 0) - (l.downSince ?? 0));
    // nextRetryAt - downSince grows by each delay: 40, +80, +160, +200 (cap), +200
    const steps = scheduled
      .slice(1)
      .map((l, i) => (l.nextRetryAt ?? 0) - (scheduled[i]?.nextRetryAt ?? 0));
    expect(delays[0]).toBe(40);
    for (const [i, expected] of [80, 160, 200, 200].entries()) {
      // Each step is the delay plus the time a refused connect took (a few ms).
      expect(steps[i]).toBeGreaterThanOrEqual(expected);
      expect(steps[i]).toBeLessThan(expected + 60);
    }
    expect(c.link.state).toBe("reconnecting");

    const gw = new FakeGateway();
    await gw.listen(port);
    cleanups.push(() => gw.close());
    await waitFor(() => c.link.state === "connected", "connected once the server is up");
    expect(c.link.attempt).toBe(0);
    expect(c.link.nextRetryAt).toBeNull();
    expect(c.link.downSince).toBeNull();
  });

  it("subscribes the union of every owner and re-subscribes after the server restarts", async () => {
    let gw = new FakeGateway();
    const port = await gw.listen();
    const { c } = client(port, { baseDelayMs: 30, maxDelayMs: 100 });
    c.setSymbols("markets", ["BTCUSDT", "ETHUSDT"]);
    c.setSymbols("alerts", ["SOLUSDT"]);
    c.start();
    await waitFor(() => c.confirmed.symbols.length === 3, "three symbols confirmed");
    expect(c.confirmed.symbols).toEqual(["BTCUSDT", "ETHUSDT", "SOLUSDT"]);

    c.setSymbols("markets", ["ETHUSDT", "XRPUSDT"]);
    await waitFor(() => c.confirmed.symbols.includes("XRPUSDT"), "XRPUSDT confirmed");
    expect(c.confirmed.symbols).toEqual(["ETHUSDT", "SOLUSDT", "XRPUSDT"]);
    expect(
      gw.requests.some((r) => r.event === "unsubscribe" && r.symbols.includes("BTCUSDT")),
    ).toBe(true);

    await gw.close();
    await waitFor(() => c.link.state === "reconnecting", "reconnecting after the server stopped");
    gw = new FakeGateway();
    await gw.listen(port);
    cleanups.push(() => gw.close());
    await waitFor(() => c.link.state === "connected", "reconnected");
    await waitFor(() => gw.requests.length > 0, "re-subscription");
    expect(gw.requests[0]?.event).toBe("subscribe");
    expect([...(gw.requests[0]?.symbols ?? [])].sort()).toEqual(["ETHUSDT", "SOLUSDT", "XRPUSDT"]);
    expect(c.link.reconnects).toBe(1);
  });

  it("starts over from nothing when an ack was lost, so it holds what the server holds", async () => {
    const gw = new FakeGateway();
    const port = await gw.listen();
    cleanups.push(() => gw.close());
    const { c } = client(port, { ackTimeoutMs: 200 });
    gw.acksToLose = 1; // the server subscribes BTC and ETH, the client never hears it
    c.setSymbols("markets", ["BTCUSDT", "ETHUSDT"]);
    c.start();
    await waitFor(() => gw.requests.some((r) => r.event === "reset"), "a reset after the timeout");
    await waitFor(() => c.confirmed.symbols.length === 2, "both symbols confirmed");
    const server = () => [...(gw.subs.values().next().value ?? [])].sort();
    expect(server()).toEqual(["BTCUSDT", "ETHUSDT"]);

    c.setSymbols("markets", ["ETHUSDT"]);
    await waitFor(() => c.confirmed.symbols.length === 1, "BTCUSDT dropped");
    expect(server()).toEqual(["ETHUSDT"]);
    expect(gw.requests.map((r) => r.event)).toEqual([
      "subscribe",
      "reset",
      "subscribe",
      "unsubscribe",
    ]);
  });

  it("ignores and counts malformed and unknown messages and keeps working", async () => {
    const gw = new FakeGateway();
    const port = await gw.listen();
    const { c, prices, stats } = client(port);
    c.start();
    await waitFor(() => c.link.state === "connected", "connected");
    const sock = [...gw.io.sockets.sockets.values()][0]!;
    const now = Date.now();
    sock.emit("batch_update", "not an envelope");
    sock.emit("batch_update", { event: "batch_update", data: { updates: "x" }, timestamp: now });
    sock.emit("batch_update", {
      event: "batch_update",
      data: { updates: [{ symbol: "BTCUSDT", price: 12 }], timestamp: now },
      timestamp: now,
    });
    sock.emit("candle_update", { event: "candle_update", data: { symbol: "btc" }, timestamp: now });
    sock.emit("mystery", { event: "mystery", data: {}, timestamp: now });
    sock.emit("candle_update", null);
    sock.emit("batch_update", {
      event: "batch_update",
      data: { updates: [update("BTCUSDT", "0.00001234")], timestamp: now, snapshot: false },
      timestamp: now,
    });
    await waitFor(() => prices.length === 1, "the good update");
    expect(prices[0]?.price).toBe("0.00001234");
    expect(c.stats).toMatchObject({ malformed: 5, unknown: 1, received: 7 });
    expect(stats.at(-1)).toMatchObject({ malformed: 5, unknown: 1 });
    expect(c.link.state).toBe("connected");
  });

  it("sends a heartbeat ping on its interval and records the round trip", async () => {
    const gw = new FakeGateway();
    const port = await gw.listen();
    cleanups.push(() => gw.close());
    const { c } = client(port, { heartbeatMs: 40 });
    c.start();
    await waitFor(() => gw.pings >= 3, "three heartbeats");
    expect(c.link.rttMs).not.toBeNull();
    expect(c.link.state).toBe("connected");
  });

  it("leaves no timer or listener behind when stopped", async () => {
    const port = await freePort();
    const { c } = client(port, { baseDelayMs: 20 });
    c.start();
    await waitFor(() => c.link.attempt >= 1, "first retry scheduled");
    c.stop();
    const attempt = c.link.attempt;
    await new Promise((r) => setTimeout(r, 100)); // would be several retries if a timer survived
    expect(c.link.attempt).toBe(attempt);
    expect(c.link.state).toBe("disconnected");
  });
});
