import { useConversionInfo } from "../hooks/useConversionInfo";
import { CONVERTED_MARK } from "../lib/currency";
import { formatAge } from "../lib/format";

/** Says when money is shown converted, at which rate, from where and how old it is: every "≈"
 * on the page refers to it. Nothing while the user's currency is the markets' own. */
export function ConversionNote({ className = "" }: { className?: string }) {
  const info = useConversionInfo();
  if (!info) return null;
  if (!info.rate) {
    return (
      <p
        data-testid="conversion-note"
        data-state="unavailable"
        className={`text-xs text-warn-fg ${className}`}
      >
        No {info.currency} rate yet: amounts are shown in their own currency.
      </p>
    );
  }
  const { rate, source, ageMs } = info;
  return (
    <p
      data-testid="conversion-note"
      data-state="converted"
      data-currency={info.currency}
      title={`Rate source: ${source}; as of ${new Date(info.asOf).toISOString()}`}
      className={`text-xs text-muted ${className}`}
    >
      {CONVERTED_MARK} Converted to {info.currency} at 1 USDT = {rate} {info.currency} ({source},{" "}
      {formatAge(ageMs)} ago)
    </p>
  );
}
