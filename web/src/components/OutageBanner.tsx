import { formatAge } from "../lib/format";
import { useClockStore } from "../store/clockStore";
import { useCryptoStore } from "../store/cryptoStore";

/** While the connection is down: the prices on screen are the last known ones, this old. */
export function OutageBanner() {
  const down = useCryptoStore(
    (s) =>
      s.link.state === "reconnecting" ||
      (s.link.state === "disconnected" && s.link.downSince !== null),
  );
  const lastMessageAt = useCryptoStore((s) => s.lastMessageAt);
  const now = useClockStore((s) => s.now);
  if (!down) return null;
  return (
    <div data-testid="outage-banner" className="border-b border-down/30 bg-down-soft">
      <div className="mx-auto max-w-7xl px-2 py-1.5 text-xs text-fg sm:px-4 sm:text-sm">
        {/* Only the news is announced: the age below ticks and must not be read out each time. */}
        <span role="alert">
          <strong className="text-down">Connection lost.</strong>{" "}
          {lastMessageAt !== null
            ? "Showing the last known prices, marked stale, until the connection is back."
            : "Waiting for the server…"}
        </span>
        {lastMessageAt !== null && (
          <span data-testid="outage-age">
            {" "}
            Last update <span className="tabular">{formatAge(now - lastMessageAt)}</span> ago.
          </span>
        )}
      </div>
    </div>
  );
}
