import { useCryptoStore } from "../store/cryptoStore";
import { useClockStore } from "../store/clockStore";
import { formatAge } from "../lib/format";
import { marketClient } from "../lib/market";
import { SourceBadge } from "./SourceBadge";

/** After this long down the page says "Disconnected" and offers a manual reconnect. */
export const LONG_OUTAGE_MS = 5 * 60_000;

export function ConnectionBar() {
  const link = useCryptoStore((s) => s.link);
  const feed = useCryptoStore((s) => s.feed);
  const lastMessageAt = useCryptoStore((s) => s.lastMessageAt);
  const now = useClockStore((s) => s.now);

  const longOutage = link.downSince !== null && now - link.downSince >= LONG_OUTAGE_MS;
  const state = link.state === "reconnecting" && longOutage ? "disconnected" : link.state;
  const retryIn =
    link.nextRetryAt !== null ? Math.max(0, Math.ceil((link.nextRetryAt - now) / 1000)) : null;

  let label: string;
  let dot: string;
  switch (state) {
    case "connected":
      // The link to our server is up; the server's own feed from the exchange may not be.
      label =
        feed?.status === "degraded"
          ? "Connected · feed degraded"
          : feed?.status === "disconnected"
            ? "Connected · no price feed"
            : "Connected";
      dot = feed && feed.status !== "connected" ? "bg-brand" : "bg-up";
      break;
    case "connecting":
      label = "Connecting…";
      dot = "bg-brand animate-pulse";
      break;
    case "reconnecting":
      label = `Reconnecting · attempt ${link.attempt}${retryIn !== null ? ` · next retry in ${retryIn} s` : " · trying now…"}`;
      dot = "bg-brand animate-pulse";
      break;
    default:
      label = `Disconnected${link.downSince ? ` for ${formatAge(now - link.downSince)}` : ""}${
        retryIn !== null ? ` · next retry in ${retryIn} s` : ""
      }`;
      dot = "bg-down";
  }

  return (
    <div
      data-testid="connection-status"
      data-state={state}
      data-attempt={link.attempt}
      role="status"
      aria-live="polite"
      className="border-b border-line bg-panel text-xs"
    >
      <div className="mx-auto flex h-8 max-w-7xl items-center gap-3 px-2 sm:px-4">
        <span className="flex min-w-0 items-center gap-2">
          <span className={`h-2 w-2 shrink-0 rounded-full ${dot}`} aria-hidden="true" />
          <span data-testid="connection-label" className="truncate">
            {label}
          </span>
        </span>
        {longOutage && (
          <button
            type="button"
            data-testid="reconnect"
            onClick={() => marketClient().reconnectNow()}
            className="rounded border border-brand px-2 py-0.5 font-medium text-brand hover:bg-brand hover:text-black"
          >
            Reconnect
          </button>
        )}
        <span className="ml-auto flex shrink-0 items-center gap-2 text-muted">
          <span data-testid="last-update" className="tabular">
            {lastMessageAt ? `Last update ${formatAge(now - lastMessageAt)} ago` : "No update yet"}
          </span>
          {feed?.source && <SourceBadge source={feed.source} />}
          {link.rttMs !== null && state === "connected" && (
            <span className="tabular hidden sm:inline">{link.rttMs} ms</span>
          )}
        </span>
      </div>
    </div>
  );
}
