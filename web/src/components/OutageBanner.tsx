import { useCryptoStore } from "../store/cryptoStore";

/** While the connection is down: the prices on screen are the last known ones. */
export function OutageBanner() {
  const down = useCryptoStore(
    (s) =>
      s.link.state === "reconnecting" ||
      (s.link.state === "disconnected" && s.link.downSince !== null),
  );
  const hasPrices = useCryptoStore((s) => s.lastMessageAt !== null);
  if (!down) return null;
  return (
    <div data-testid="outage-banner" role="alert" className="border-b border-down/30 bg-down-soft">
      <div className="mx-auto max-w-7xl px-2 py-1.5 text-xs text-fg sm:px-4 sm:text-sm">
        <strong className="text-down">Connection lost.</strong>{" "}
        {hasPrices
          ? "Showing the last known prices, marked stale, until the connection is back."
          : "Waiting for the server…"}
      </div>
    </div>
  );
}
