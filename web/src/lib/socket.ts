/**
 * The one Socket.IO connection of the page: own reconnect loop (capped exponential backoff whose
 * attempt number and next-retry time are visible to the UI; a short cap while the tab is seen, and
 * a retry at once when the network or the tab comes back), an app-level heartbeat, and the
 * subscriptions every part of the page asked for, replayed after each reconnect.
 *
 * It knows the wire protocol but no store: callers pass handlers (see lib/market.ts).
 */
import { io, type Socket } from "socket.io-client";
import { backoffDelay } from "./backoff";
import {
  isBatchUpdate,
  isCandleData,
  isConnectionStatus,
  isEnvelope,
  isErrorData,
  isObject,
  isPriceUpdate,
  type Ack,
  type CandleData,
  type CandleInterval,
  type CandleSubscription,
  type ConnectionStatus,
  type ErrorData,
  type PriceUpdate,
  type ServerEvent,
} from "../protocol";

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

type CandleKey = `${string}|${CandleInterval}`;

function candleKey(c: CandleSubscription): CandleKey {
  return `${c.symbol}|${c.interval}`;
}

function parseCandleKey(key: CandleKey): CandleSubscription {
  const [symbol, interval] = key.split("|") as [string, CandleInterval];
  return { symbol, interval };
}

export class MarketClient {
  readonly stats: MessageStats = { received: 0, malformed: 0, unknown: 0 };
  private readonly socket: Socket;
  private readonly opts: Required<Omit<MarketClientOptions, "url" | "path">>;
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
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private syncTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly wantedSymbols = new Map<string, ReadonlySet<string>>();
  private readonly wantedCandles = new Map<string, ReadonlySet<CandleKey>>();
  /** What the server holds for this connection, as its last acknowledgement said. */
  private serverSymbols = new Set<string>();
  private serverCandles = new Set<CandleKey>();
  private wantedVersion = 0;
  private syncedVersion = -1;
  private syncing = false;
  /** An ack's counts disagreed with what the acks added up to. */
  private drifted = false;
  private requestSeq = 0;

  constructor(
    private readonly handlers: MarketHandlers,
    options: MarketClientOptions = {},
  ) {
    this.opts = {
      baseDelayMs: options.baseDelayMs ?? 1000,
      maxDelayMs: options.maxDelayMs ?? 30000,
      visibleMaxDelayMs: options.visibleMaxDelayMs ?? 5000,
      jitter: options.jitter ?? 0.2,
      heartbeatMs: options.heartbeatMs ?? 30000,
      ackTimeoutMs: options.ackTimeoutMs ?? 10000,
      debounceMs: options.debounceMs ?? 150,
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
      isVisible: options.isVisible ?? pageVisible,
    };
    const socketOptions = {
      path: options.path ?? "/socket.io",
      autoConnect: false,
      // The loop below owns reconnection so that its schedule is visible and testable.
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
    return {
      symbols: [...this.serverSymbols].sort(),
      candles: [...this.serverCandles].map(parseCandleKey),
    };
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
    this.clearTimers();
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
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.setStatus({ attempt: 0, nextRetryAt: null });
    this.socket.connect();
  }

  /** Replace what `owner` (a page part: "markets", "alerts", …) wants live prices for. */
  setSymbols(owner: string, symbols: Iterable<string>): void {
    const next = new Set(symbols);
    const prev = this.wantedSymbols.get(owner);
    if (prev && sameSet(prev, next)) return;
    if (next.size === 0) this.wantedSymbols.delete(owner);
    else this.wantedSymbols.set(owner, next);
    this.changed();
  }

  setCandles(owner: string, candles: Iterable<CandleSubscription>): void {
    const next = new Set([...candles].map(candleKey));
    const prev = this.wantedCandles.get(owner);
    if (prev && sameSet(prev, next)) return;
    if (next.size === 0) this.wantedCandles.delete(owner);
    else this.wantedCandles.set(owner, next);
    this.changed();
  }

  wanted(): { symbols: Set<string>; candles: Set<CandleKey> } {
    const symbols = new Set<string>();
    for (const set of this.wantedSymbols.values()) for (const s of set) symbols.add(s);
    const candles = new Set<CandleKey>();
    for (const set of this.wantedCandles.values()) for (const c of set) candles.add(c);
    return { symbols, candles };
  }

  // ---- connection life cycle ---------------------------------------------------------------

  private onConnect = (): void => {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
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
    // A new server session holds nothing: replay everything wanted.
    this.serverSymbols = new Set();
    this.serverCandles = new Set();
    this.drifted = false;
    this.handlers.onSubscriptions?.([], []);
    this.syncedVersion = -1;
    this.syncing = false;
    this.startHeartbeat();
    void this.sync();
  };

  private onDisconnect = (reason: string): void => {
    this.down(`disconnected: ${reason}`);
  };

  private onConnectError = (err: Error): void => {
    this.down(`connect failed: ${err.message}`);
  };

  private onOnline = (): void => this.retryWaiting();

  private onVisibility = (): void => {
    if (this.opts.isVisible()) this.retryWaiting();
  };

  /** The network or the tab is back: the scheduled wait is stale, try now (an attempt in flight
   * is left alone; a failure schedules the next one from the same attempt count). */
  private retryWaiting(): void {
    if (!this.started || this.socket.connected || !this.retryTimer) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.setStatus({ nextRetryAt: null });
    this.socket.connect();
  }

  private down(reason: string): void {
    this.stopHeartbeat();
    if (!this.started) return;
    if (this.retryTimer) return; // already scheduled (disconnect and error can both fire)
    const now = this.opts.now();
    const attempt = this.status.attempt + 1;
    const delay = backoffDelay(attempt, {
      baseMs: this.opts.baseDelayMs,
      maxMs: this.opts.isVisible()
        ? Math.min(this.opts.maxDelayMs, this.opts.visibleMaxDelayMs)
        : this.opts.maxDelayMs,
      jitter: this.opts.jitter,
      random: this.opts.random,
    });
    this.setStatus({
      state: "reconnecting",
      attempt,
      nextRetryAt: now + delay,
      downSince: this.status.downSince ?? now,
      reason,
    });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.setStatus({ nextRetryAt: null });
      if (this.started) this.socket.connect();
    }, delay);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.opts.heartbeatMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private heartbeat(): void {
    if (!this.socket.connected) return;
    const sentAt = this.opts.now();
    const requestId = this.nextRequestId("ping");
    this.socket.timeout(this.opts.ackTimeoutMs).emit("ping", { requestId }, (err: Error | null) => {
      if (err) {
        // No answer: the link is dead even if the transport has not noticed yet.
        this.down("heartbeat timed out");
        this.socket.disconnect();
        return;
      }
      this.setStatus({ rttMs: this.opts.now() - sentAt });
    });
  }

  private clearTimers(): void {
    this.stopHeartbeat();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.retryTimer = null;
    this.syncTimer = null;
  }

  private setStatus(patch: Partial<LinkStatus>): void {
    this.status = { ...this.status, ...patch };
    this.handlers.onLink?.(this.status);
  }

  // ---- subscriptions -----------------------------------------------------------------------

  private changed(): void {
    this.wantedVersion += 1;
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      void this.sync();
    }, this.opts.debounceMs);
  }

  /** Send the difference between wanted and confirmed; one request in flight at a time. */
  private async sync(): Promise<void> {
    if (this.syncing || !this.socket.connected || this.syncedVersion === this.wantedVersion) {
      return;
    }
    this.syncing = true;
    const version = this.wantedVersion;
    try {
      if (this.drifted) await this.resetSubscriptions();
      const wanted = this.wanted();
      const addSymbols = [...wanted.symbols].filter((s) => !this.serverSymbols.has(s));
      const dropSymbols = [...this.serverSymbols].filter((s) => !wanted.symbols.has(s));
      const addCandles = [...wanted.candles].filter((c) => !this.serverCandles.has(c));
      const dropCandles = [...this.serverCandles].filter((c) => !wanted.candles.has(c));
      if (dropSymbols.length || dropCandles.length) {
        await this.request("unsubscribe", dropSymbols, dropCandles);
      }
      if (addSymbols.length || addCandles.length) {
        await this.request("subscribe", addSymbols, addCandles);
      }
      // Even a refused request counts as synced: retrying the same set would be refused again.
      // A drift found on the way is not: the next round starts over.
      this.syncedVersion = this.drifted ? -1 : version;
    } catch {
      // Disconnected: the next connect replays everything. Timed out: the server may have
      // done it all the same, so the next round starts over from nothing.
      this.drifted = true;
    } finally {
      this.syncing = false;
    }
    if (this.syncedVersion !== this.wantedVersion && this.socket.connected) void this.sync();
  }

  /** Drop everything the server holds for this connection, so the next sync replays all. */
  private resetSubscriptions(): Promise<void> {
    const requestId = this.nextRequestId("reset");
    return new Promise((resolve, reject) => {
      this.socket
        .timeout(this.opts.ackTimeoutMs)
        .emit("unsubscribe", { all: true, requestId }, (err: Error | null) => {
          if (err) {
            reject(err);
            return;
          }
          this.drifted = false;
          this.serverSymbols = new Set();
          this.serverCandles = new Set();
          resolve();
        });
    });
  }

  private request(
    event: "subscribe" | "unsubscribe",
    symbols: string[],
    candles: CandleKey[],
  ): Promise<void> {
    const requestId = this.nextRequestId(event);
    const payload = { symbols, candles: candles.map(parseCandleKey), requestId };
    return new Promise((resolve, reject) => {
      this.socket
        .timeout(this.opts.ackTimeoutMs)
        .emit(event, payload, (err: Error | null, ack: unknown) => {
          if (err) {
            reject(err);
            return;
          }
          if (isAck(ack)) {
            this.applyAck(ack);
            if (!ack.ok && ack.error) this.handlers.onServerError?.(ack.error);
          } else {
            this.count("malformed");
          }
          resolve();
        });
    });
  }

  /** The server says what each request changed; a count that disagrees with ours means an
   *  earlier ack was lost (a timeout): start over from nothing on the next sync. */
  private applyAck(ack: Ack): void {
    for (const s of ack.removed ?? []) this.serverSymbols.delete(s);
    for (const s of ack.added ?? []) this.serverSymbols.add(s);
    for (const c of ack.removedCandles ?? []) this.serverCandles.delete(candleKey(c));
    for (const c of ack.addedCandles ?? []) this.serverCandles.add(candleKey(c));
    this.drifted ||=
      (ack.symbolCount ?? 0) !== this.serverSymbols.size ||
      (ack.candleCount ?? 0) !== this.serverCandles.size;
    this.handlers.onSubscriptions?.(
      [...this.serverSymbols].sort(),
      [...this.serverCandles].map(parseCandleKey),
    );
  }

  private nextRequestId(prefix: string): string {
    this.requestSeq += 1;
    return `${prefix}-${this.requestSeq}`;
  }

  // ---- incoming ----------------------------------------------------------------------------

  private onMessage = (event: string, payload: unknown): void => {
    this.stats.received += 1;
    if (!isEnvelope(payload) || payload.event !== event) {
      this.count(KNOWN_EVENTS.has(event) ? "malformed" : "unknown");
      return;
    }
    const { data, timestamp } = payload;
    try {
      switch (event) {
        case "batch_update": {
          if (!isBatchUpdate(data)) return this.count("malformed");
          const good = data.updates.filter(isPriceUpdate);
          if (good.length !== data.updates.length) this.count("malformed");
          if (good.length) this.handlers.onPrices?.(good, timestamp, data.snapshot === true);
          return;
        }
        case "candle_update":
          if (!isCandleData(data)) return this.count("malformed");
          this.handlers.onCandle?.(data);
          return;
        case "connection_status":
          if (!isConnectionStatus(data)) return this.count("malformed");
          this.handlers.onFeedStatus?.(data);
          return;
        case "error":
          if (!isErrorData(data)) return this.count("malformed");
          this.handlers.onServerError?.(data);
          return;
        case "pong":
          return;
        default:
          this.count("unknown");
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

// Every server event, checked against the generated protocol: one missing or extra fails tsc.
const SERVER_EVENTS: Record<ServerEvent, true> = {
  batch_update: true,
  candle_update: true,
  connection_status: true,
  error: true,
  pong: true,
};
const KNOWN_EVENTS: ReadonlySet<string> = new Set(Object.keys(SERVER_EVENTS));

function isAck(v: unknown): v is Ack {
  const list = (x: unknown): boolean => x === undefined || Array.isArray(x);
  return (
    isObject(v) &&
    typeof v.ok === "boolean" &&
    list(v.added) &&
    list(v.removed) &&
    list(v.addedCandles) &&
    list(v.removedCandles)
  );
}

function pageVisible(): boolean {
  return typeof document === "undefined" || document.visibilityState !== "hidden";
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
