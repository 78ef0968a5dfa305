import { useCryptoStore } from "../store/cryptoStore";

/** The exchange's status of a listed market that does not trade now (BREAK, HALT, ...), from
 * the feed status; null while it trades. A string, so a row re-renders only when its own flips. */
export function useHalted(symbol: string): string | null {
  return useCryptoStore((s) => s.feed?.halted?.[symbol] ?? null);
}
