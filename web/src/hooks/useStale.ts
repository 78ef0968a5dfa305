import { STALE_AFTER_MS, priceAge, useCryptoStore, type PriceEntry } from "../store/cryptoStore";
import { useClockStore } from "../store/clockStore";

/** Whether a price should be shown as stale: the link is down, or it has not moved for a while.
 * The caller re-renders only when that answer flips, never for a batch of other symbols. */
export function useStale(entry: PriceEntry | undefined): boolean {
  const offline = useCryptoStore((s) => s.link.state !== "connected");
  // The clock offset is read, not selected: every batch moves it, and selecting it re-rendered
  // every row per batch. The page clock's tick re-evaluates the age with the latest offset.
  const old = useClockStore((s) =>
    entry
      ? priceAge(entry, s.now, useCryptoStore.getState().clockOffsetMs) > STALE_AFTER_MS
      : false,
  );
  return entry !== undefined && (offline || old);
}
