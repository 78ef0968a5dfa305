import { Link } from "wouter";
import { MarketsTable } from "../components/MarketsTable";
import { useWatchlistStore } from "../store/watchlistStore";

export function WatchlistPage() {
  const symbols = useWatchlistStore((s) => s.symbols);
  return (
    <div className="mx-auto flex min-h-0 w-full max-w-7xl flex-1 flex-col gap-3 p-2 sm:p-4">
      <h1 className="text-xl font-semibold">Watchlist</h1>
      <MarketsTable
        owner="watchlist"
        only={symbols}
        empty={
          <>
            Star a market on the{" "}
            <Link href="/" className="text-brand">
              markets page
            </Link>{" "}
            (or press <kbd>s</kbd> on a row) to follow it here.
          </>
        }
      />
    </div>
  );
}
