/** The page's live subscriptions: what each part of the page wants, what the server confirmed for
 * this connection, and the diff between them sent as one request at a time (debounced), started
 * over from nothing when an acknowledgement was lost. */
import type { Ack, CandleInterval, CandleSubscription, ErrorData } from "../protocol";
import { isAck } from "./serverMessages";

export type CandleKey = `${string}|${CandleInterval}`;

export function candleKey(c: CandleSubscription): CandleKey {
  return `${c.symbol}|${c.interval}`;
}

export function parseCandleKey(key: CandleKey): CandleSubscription {
  const [symbol, interval] = key.split("|") as [string, CandleInterval];
  return { symbol, interval };
}

export interface SubscriptionTransport {
  readonly connected: boolean;
  /** Sends one request; resolves with the server's answer as received, rejects when none came
   * (timed out or disconnected). */
  request(event: "subscribe" | "unsubscribe", payload: object): Promise<unknown>;
  nextRequestId(prefix: string): string;
}

export interface SubscriptionHandlers {
  /** What the server confirmed after each request (and nothing after `restart`). */
  onConfirmed(symbols: string[], candles: CandleSubscription[]): void;
  onServerError(error: ErrorData): void;
  onMalformedAck(): void;
}

export class SubscriptionSync {
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
  private debounceTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly transport: SubscriptionTransport,
    private readonly handlers: SubscriptionHandlers,
    /** Changes within this window go out as one diff. */
    private readonly debounceMs: number,
  ) {}

  /** Symbols and candles the server confirmed for this connection. */
  get confirmed(): { symbols: string[]; candles: CandleSubscription[] } {
    return {
      symbols: [...this.serverSymbols].sort(),
      candles: [...this.serverCandles].map(parseCandleKey),
    };
  }

  /** Replace what `owner` (a page part: "markets", "alerts", …) wants live prices for. */
  setSymbols(owner: string, symbols: Iterable<string>): void {
    if (replace(this.wantedSymbols, owner, new Set(symbols))) this.changed();
  }

  setCandles(owner: string, candles: Iterable<CandleSubscription>): void {
    if (replace(this.wantedCandles, owner, new Set([...candles].map(candleKey)))) this.changed();
  }

  wanted(): { symbols: Set<string>; candles: Set<CandleKey> } {
    const symbols = new Set<string>();
    for (const set of this.wantedSymbols.values()) for (const s of set) symbols.add(s);
    const candles = new Set<CandleKey>();
    for (const set of this.wantedCandles.values()) for (const c of set) candles.add(c);
    return { symbols, candles };
  }

  /** A new server session holds nothing: forget what the last one confirmed, replay all wanted. */
  restart(): void {
    this.serverSymbols = new Set();
    this.serverCandles = new Set();
    this.drifted = false;
    this.handlers.onConfirmed([], []);
    this.syncedVersion = -1;
    this.syncing = false;
    void this.sync();
  }

  /** No debounced round left waiting. */
  stop(): void {
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = null;
  }

  private changed(): void {
    this.wantedVersion += 1;
    if (this.debounceTimer) return;
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      void this.sync();
    }, this.debounceMs);
  }

  /** Send the difference between wanted and confirmed; one request in flight at a time. */
  private async sync(): Promise<void> {
    if (this.syncing || !this.transport.connected || this.syncedVersion === this.wantedVersion) {
      return;
    }
    this.syncing = true;
    const version = this.wantedVersion;
    try {
      if (this.drifted) await this.resetServer();
      const wanted = this.wanted();
      const addSymbols = [...wanted.symbols].filter((s) => !this.serverSymbols.has(s));
      const dropSymbols = [...this.serverSymbols].filter((s) => !wanted.symbols.has(s));
      const addCandles = [...wanted.candles].filter((c) => !this.serverCandles.has(c));
      const dropCandles = [...this.serverCandles].filter((c) => !wanted.candles.has(c));
      if (dropSymbols.length || dropCandles.length) {
        await this.send("unsubscribe", dropSymbols, dropCandles);
      }
      if (addSymbols.length || addCandles.length) {
        await this.send("subscribe", addSymbols, addCandles);
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
    if (this.syncedVersion !== this.wantedVersion && this.transport.connected) void this.sync();
  }

  /** Drop everything the server holds for this connection, so the next sync replays all. */
  private async resetServer(): Promise<void> {
    const requestId = this.transport.nextRequestId("reset");
    await this.transport.request("unsubscribe", { all: true, requestId });
    this.drifted = false;
    this.serverSymbols = new Set();
    this.serverCandles = new Set();
  }

  private async send(
    event: "subscribe" | "unsubscribe",
    symbols: string[],
    candles: CandleKey[],
  ): Promise<void> {
    const requestId = this.transport.nextRequestId(event);
    const payload = { symbols, candles: candles.map(parseCandleKey), requestId };
    const ack = await this.transport.request(event, payload);
    if (isAck(ack)) {
      this.applyAck(ack);
      if (!ack.ok && ack.error) this.handlers.onServerError(ack.error);
    } else {
      this.handlers.onMalformedAck();
    }
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
    const { symbols, candles } = this.confirmed;
    this.handlers.onConfirmed(symbols, candles);
  }
}

/** Sets `owner`'s entry (deleting it when empty); says whether anything changed. */
function replace<T>(wanted: Map<string, ReadonlySet<T>>, owner: string, next: Set<T>): boolean {
  const prev = wanted.get(owner);
  if (prev && sameSet(prev, next)) return false;
  if (next.size === 0) wanted.delete(owner);
  else wanted.set(owner, next);
  return true;
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}
