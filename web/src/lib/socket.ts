/**
 * The one Socket.IO connection of the page, a facade over its parts: the reconnect schedule
 * (reconnectSchedule.ts: attempt number and next-retry time visible to the UI, a short cap while
 * the tab is seen, a retry at once when the network or the tab comes back), the app-level
 * heartbeat (heartbeat.ts), the subscriptions every part of the page asked for, replayed after
 * each reconnect (subscriptionSync.ts), and the checks on what the server sends (serverMessages.ts).
 *
 * It knows the wire protocol but no store: callers pass handlers (see lib/market.ts).
 */
import { io, type Socket } from "socket.io-client";
import type {
  CandleData,
  CandleSubscription,
  ConnectionStatus,
  ErrorData,
  PriceUpdate,
} from "../protocol";
import { Heartbeat } from "./heartbeat";
import { ReconnectSchedule } from "./reconnectSchedule";
import { readServerMessage } from "./serverMessages";
import { SubscriptionSync, type CandleKey } from "./subscriptionSync";

export type LinkState = "connecting" | "connected" | "reconnecting" | "disconnected";

export interface LinkStatus {
  state: LinkState;
  /** Reconnect attempt in progress or scheduled (0 while connected). */
  attempt: number;
  /** When the next attempt starts (ms since epoch), while one is scheduled. */
  nextRetryAt: number | null;
  /** Start of the current outage, null while connected. */
  downSince: number | null;
  /** Successful reconnections since start. */
  reconnects: number;
  /** Round trip of the last heartbeat. */
  rttMs: number | null;
  reason: string | null;
}

export interface MessageStats {
  received: number;
  malformed: number;
  unknown: number;
}

export interface MarketHandlers {
  onPrices?(updates: PriceUpdate[], serverTime: number, snapshot: boolean): void;
  onCandle?(candle: CandleData): void;
  onFeedStatus?(status: ConnectionStatus): void;
  onServerError?(error: ErrorData): void;
  onLink?(status: LinkStatus): void;
  onStats?(stats: MessageStats): void;
  /** What the server confirmed after each subscribe/unsubscribe (and nothing after a reconnect). */
  onSubscriptions?(symbols: string[], candles: CandleSubscription[]): void;
}

export interface MarketClientOptions {
  /** Origin of the server; the page's own when omitted. */
  url?: string;
  path?: string;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Cap while the tab is visible: someone is watching, so a restored server shows up soon. */
  visibleMaxDelayMs?: number;
  jitter?: number;
  heartbeatMs?: number;
  ackTimeoutMs?: number;
  /** Subscription changes within this window go out as one diff. */
  debounceMs?: number;
  random?: () => number;
  now?: () => number;
  isVisible?: () => boolean;
}

export class MarketClient {
  readonly stats: MessageStats = { received: 0, malformed: 0, unknown: 0 };
  private readonly socket: Socket;
  private readonly now: () => number;
  private readonly isVisible: () => boolean;
  private readonly ackTimeoutMs: number;
  private readonly reconnect: ReconnectSchedule;
  private readonly heartbeat: Heartbeat;
  private readonly subscriptions: SubscriptionSync;
  private status: LinkStatus = {
    state: "disconnected",
    attempt: 0,
    nextRetryAt: null,
    downSince: null,
    reconnects: 0,
    rttMs: null,
    reason: null,
  };
  private started = false;
  private everConnected = false;
  private requestSeq = 0;

  constructor(
    private readonly handlers: MarketHandlers,
    options: MarketClientOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.isVisible = options.isVisible ?? pageVisible;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10000;
    this.reconnect = new ReconnectSchedule({
      baseDelayMs: options.baseDelayMs ?? 1000,
      maxDelayMs: options.maxDelayMs ?? 30000,
      visibleMaxDelayMs: options.visibleMaxDelayMs ?? 5000,
      jitter: options.jitter ?? 0.2,
      random: options.random ?? Math.random,
      isVisible: this.isVisible,
    });
    this.heartbeat = new Heartbeat({
      intervalMs: options.heartbeatMs ?? 30000,
      now: this.now,
      ping: (answer) => {
        if (!this.socket.connected) return;
        const requestId = this.nextRequestId("ping");
        this.socket.timeout(this.ackTimeoutMs).emit("ping", { requestId }, answer);
      },
      onRtt: (rttMs) => this.setStatus({ rttMs }),
      onTimeout: () => {
        this.down("heartbeat timed out");
        this.socket.disconnect();
      },
    });
    const socket = (): Socket => this.socket;
    this.subscriptions = new SubscriptionSync(
      {
        get connected() {
          return socket().connected;
        },
        request: (event, payload) =>
          new Promise((resolve, reject) => {
            this.socket
              .timeout(this.ackTimeoutMs)
              .emit(event, payload, (err: Error | null, ack: unknown) => {
                if (err) reject(err);
                else resolve(ack);
              });
          }),
        nextRequestId: (prefix) => this.nextRequestId(prefix),
      },
      {
        onConfirmed: (symbols, candles) => this.handlers.onSubscriptions?.(symbols, candles),
        onServerError: (error) => this.handlers.onServerError?.(error),
        onMalformedAck: () => this.count("malformed"),
      },
      options.debounceMs ?? 150,
    );
    const socketOptions = {
      path: options.path ?? "/socket.io",
      autoConnect: false,
      // The schedule owns reconnection so that it is visible and testable.
      reconnection: false,
      transports: ["websocket", "polling"],
      tryAllTransports: true,
      timeout: 10000,
    };
    this.socket = options.url ? io(options.url, socketOptions) : io(socketOptions);
  }

  get link(): Readonly<LinkStatus> {
    return this.status;
  }

  /** Symbols and candles the server confirmed for this connection. */
  get confirmed(): { symbols: string[]; candles: CandleSubscription[] } {
    return this.subscriptions.confirmed;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.socket.on("connect", this.onConnect);
    this.socket.on("disconnect", this.onDisconnect);
    this.socket.on("connect_error", this.onConnectError);
    this.socket.onAny(this.onMessage);
    if (typeof window !== "undefined") {
      window.addEventListener("online", this.onOnline);
      document.addEventListener("visibilitychange", this.onVisibility);
    }
    this.setStatus({ state: "connecting", attempt: 0, downSince: null, reason: null });
    this.socket.connect();
  }

  /** Close: no retry, no timer, no listener left behind (`start` opens it again). */
  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.heartbeat.stop();
    this.reconnect.cancel();
    this.subscriptions.stop();
    this.socket.offAny(this.onMessage);
    this.socket.off("connect", this.onConnect);
    this.socket.off("disconnect", this.onDisconnect);
    this.socket.off("connect_error", this.onConnectError);
    if (typeof window !== "undefined") {
      window.removeEventListener("online", this.onOnline);
      document.removeEventListener("visibilitychange", this.onVisibility);
    }
    this.socket.disconnect();
    this.setStatus({ state: "disconnected", nextRetryAt: null, reason: "stopped" });
  }

  /** Manual "Reconnect": try now and start the schedule again from the first step. */
  reconnectNow(): void {
    if (!this.started || this.socket.connected) return;
    this.reconnect.cancel();
    this.setStatus({ attempt: 0, nextRetryAt: null });
    this.socket.connect();
  }

  /** Replace what `owner` (a page part: "markets", "alerts", …) wants live prices for. */
  setSymbols(owner: string, symbols: Iterable<string>): void {
    this.subscriptions.setSymbols(owner, symbols);
  }

  setCandles(owner: string, candles: Iterable<CandleSubscription>): void {
    this.subscriptions.setCandles(owner, candles);
  }

  wanted(): { symbols: Set<string>; candles: Set<CandleKey> } {
    return this.subscriptions.wanted();
  }

  // ---- connection life cycle ---------------------------------------------------------------

  private onConnect = (): void => {
    this.reconnect.cancel();
    const reconnects = this.status.reconnects + (this.everConnected ? 1 : 0);
    this.everConnected = true;
    this.setStatus({
      state: "connected",
      attempt: 0,
      nextRetryAt: null,
      downSince: null,
      reconnects,
      reason: null,
    });
    this.subscriptions.restart();
    this.heartbeat.start();
  };

  private onDisconnect = (reason: string): void => {
    this.down(`disconnected: ${reason}`);
  };

  private onConnectError = (err: Error): void => {
    this.down(`connect failed: ${err.message}`);
  };

  private onOnline = (): void => this.retryWaiting();

  private onVisibility = (): void => {
    if (this.isVisible()) this.retryWaiting();
  };

  /** The network or the tab is back: the scheduled wait is stale, try now (an attempt in flight
   * is left alone; a failure schedules the next one from the same attempt count). */
  private retryWaiting(): void {
    if (!this.started || this.socket.connected || !this.reconnect.waiting) return;
    this.reconnect.cancel();
    this.setStatus({ nextRetryAt: null });
    this.socket.connect();
  }

  private down(reason: string): void {
    this.heartbeat.stop();
    if (!this.started) return;
    if (this.reconnect.waiting) return; // already scheduled (disconnect and error can both fire)
    const now = this.now();
    const attempt = this.status.attempt + 1;
    const delay = this.reconnect.schedule(attempt, () => {
      this.setStatus({ nextRetryAt: null });
      if (this.started) this.socket.connect();
    });
    this.setStatus({
      state: "reconnecting",
      attempt,
      nextRetryAt: now + delay,
      downSince: this.status.downSince ?? now,
      reason,
    });
  }

  private setStatus(patch: Partial<LinkStatus>): void {
    this.status = { ...this.status, ...patch };
    this.handlers.onLink?.(this.status);
  }

  private nextRequestId(prefix: string): string {
    this.requestSeq += 1;
    return `${prefix}-${this.requestSeq}`;
  }

  // ---- incoming ----------------------------------------------------------------------------

  private onMessage = (event: string, payload: unknown): void => {
    this.stats.received += 1;
    const message = readServerMessage(event, payload);
    try {
      switch (message.kind) {
        case "prices":
          if (message.dropped) this.count("malformed");
          if (message.updates.length) {
            this.handlers.onPrices?.(message.updates, message.serverTime, message.snapshot);
          }
          return;
        case "candle":
          this.handlers.onCandle?.(message.candle);
          return;
        case "feedStatus":
          this.handlers.onFeedStatus?.(message.status);
          return;
        case "error":
          this.handlers.onServerError?.(message.error);
          return;
        case "pong":
          return;
        case "malformed":
        case "unknown":
          this.count(message.kind);
      }
    } catch {
      // A handler must never take the connection down with it.
      this.count("malformed");
    }
  };

  private count(kind: "malformed" | "unknown"): void {
    this.stats[kind] += 1;
    this.handlers.onStats?.({ ...this.stats });
  }
}

function pageVisible(): boolean {
  return typeof document === "undefined" || document.visibilityState !== "hidden";
}
