import { currencyOptions } from "../lib/currencyOptions";
import { useCurrencyStore } from "../store/currencyStore";
import { useMarketMetaStore } from "../store/marketMetaStore";

/** The currency money is shown in, everywhere (markets, portfolio, alerts). */
export function CurrencyPicker() {
  const currency = useCurrencyStore((s) => s.currency);
  const setCurrency = useCurrencyStore((s) => s.setCurrency);
  const rates = useMarketMetaStore((s) => s.rates.byCurrency);
  const options = currencyOptions(rates.keys(), currency);
  return (
    <select
      data-testid="currency"
      aria-label="Currency"
      title="Show prices in this currency"
      value={currency}
      onChange={(e) => setCurrency(e.target.value)}
      className="h-8 rounded-md border border-line bg-panel px-1 text-xs text-fg"
    >
      {options.map((c) => (
        <option key={c} value={c}>
          {c}
        </option>
      ))}
    </select>
  );
}
