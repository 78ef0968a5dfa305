import { STALE_AFTER_MS, priceAge, useCryptoStore, type PriceEntry } from "../store/cryptoStore";
import { useClockStore } from "../store/clockStore";

/** Whether a price should be shown as stale: the link is down, or it has not moved for a while. */
export function useStale(entry: PriceEntry | undefined): boolean {
  const offline = useCryptoStore((s) => s.link.state !== "connected");
  const offset = useCryptoStore((s) => s.clockOffsetMs);
  const old = useClockStore((s) =>
    entry ? priceAge(entry, s.now, offset) > STALE_AFTER_MS : false,
  );
  return entry !== undefined && (offline || old);
}
