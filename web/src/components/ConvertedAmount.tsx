import { useConversion } from "../hooks/useConversion";
import { CONVERTED_MARK, formatMoneyIn } from "../lib/currency";
import { applyConversion } from "../lib/fx";

/** "(≈ €82,917.00)": an amount in `currency` as it reads in the user's currency; nothing when
 * that is the same currency or there is no rate. */
export function ConvertedAmount({ value, currency }: { value: string; currency: string }) {
  const conv = useConversion(currency);
  const v = conv ? applyConversion(value, conv) : null;
  if (!conv || v === null) return null;
  return (
    <span data-testid="converted" data-currency={conv.to} className="text-xs text-muted">
      ({CONVERTED_MARK} {formatMoneyIn(v, conv.to)})
    </span>
  );
}
