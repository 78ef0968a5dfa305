/** The currencies offered in the picker: USDT (the markets' own), then those with a rate, the
 * most used first, then by code; the stored choice stays listed even before its rate loads. */
import { BASE_CURRENCY } from "./fx";

const COMMON = ["USD", "EUR", "GBP", "JPY", "CNY", "KRW", "INR", "CAD", "AUD", "CHF", "BRL", "TRY"];

export function currencyOptions(withRates: Iterable<string>, selected: string): string[] {
  const have = new Set(withRates);
  have.delete(BASE_CURRENCY);
  if (selected !== BASE_CURRENCY) have.add(selected);
  const rank = (c: string) => {
    const i = COMMON.indexOf(c);
    return i < 0 ? COMMON.length : i;
  };
  return [BASE_CURRENCY, ...[...have].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))];
}
