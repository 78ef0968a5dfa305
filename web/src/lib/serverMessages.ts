/** What a message from the server says, checked against the generated protocol: a pure function
 * of (event name, payload), so the socket only moves messages and counts what this rejects. */
import {
  isBatchUpdate,
  isCandleData,
  isConnectionStatus,
  isEnvelope,
  isErrorData,
  isObject,
  isPriceUpdate,
  SERVER_EVENTS,
  type Ack,
  type CandleData,
  type ConnectionStatus,
  type ErrorData,
  type PriceUpdate,
  type ServerEvent,
} from "../protocol";

export type ServerMessage =
  | {
      kind: "prices";
      /** The well-formed updates of the batch (may be empty). */
      updates: PriceUpdate[];
      serverTime: number;
      snapshot: boolean;
      /** Some updates of the batch were malformed and left out. */
      dropped: boolean;
    }
  | { kind: "candle"; candle: CandleData }
  | { kind: "feedStatus"; status: ConnectionStatus }
  | { kind: "error"; error: ErrorData }
  | { kind: "pong" }
  /** A known event whose payload does not match the protocol. */
  | { kind: "malformed" }
  /** An event this page does not know. */
  | { kind: "unknown" };

const KNOWN_EVENTS: ReadonlySet<string> = new Set(SERVER_EVENTS);

function isServerEvent(event: string): event is ServerEvent {
  return KNOWN_EVENTS.has(event);
}

export function readServerMessage(event: string, payload: unknown): ServerMessage {
  if (!isServerEvent(event)) return { kind: "unknown" };
  if (!isEnvelope(payload) || payload.event !== event) return { kind: "malformed" };
  const { data, timestamp } = payload;
  // One case per generated event: a new one fails tsc here until it is read.
  switch (event) {
    case "batch_update": {
      if (!isBatchUpdate(data)) return { kind: "malformed" };
      const updates = data.updates.filter(isPriceUpdate);
      return {
        kind: "prices",
        updates,
        serverTime: timestamp,
        snapshot: data.snapshot === true,
        dropped: updates.length !== data.updates.length,
      };
    }
    case "candle_update":
      return isCandleData(data) ? { kind: "candle", candle: data } : { kind: "malformed" };
    case "connection_status":
      return isConnectionStatus(data)
        ? { kind: "feedStatus", status: data }
        : { kind: "malformed" };
    case "error":
      return isErrorData(data) ? { kind: "error", error: data } : { kind: "malformed" };
    case "pong":
      return { kind: "pong" };
  }
}

/** A subscribe/unsubscribe acknowledgement, shaped enough to be applied. */
export function isAck(v: unknown): v is Ack {
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
