import { ConversionNote } from "../components/ConversionNote";
import { Highlights } from "../components/Highlights";
import { MarketsTable } from "../components/MarketsTable";

export function MarketsPage() {
  return (
    <div className="mx-auto flex min-h-0 w-full max-w-7xl flex-1 flex-col gap-3 p-2 sm:p-4">
      <div className="flex items-baseline gap-3">
        <h1 className="text-xl font-semibold">Markets</h1>
        <p className="hidden text-sm text-muted sm:block">
          Live prices, 24h statistics, updated as they trade.
        </p>
        <ConversionNote className="ml-auto" />
      </div>
      <Highlights />
      <MarketsTable owner="markets" />
    </div>
  );
}
