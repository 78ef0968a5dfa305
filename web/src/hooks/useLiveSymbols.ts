import { useEffect, useMemo } from "react";
import { marketClient } from "../lib/market";

/**
 * Declares which symbols `owner` needs live. Changes are debounced (`debounceMs`) so scrolling
 * through rows sends one diff, not one per row; unmounting drops the owner's symbols.
 */
export function useLiveSymbols(owner: string, symbols: readonly string[], debounceMs = 0): void {
  const key = useMemo(() => [...new Set(symbols)].sort().join(","), [symbols]);

  useEffect(() => {
    const list = key ? key.split(",") : [];
    if (debounceMs <= 0) {
      marketClient().setSymbols(owner, list);
      return;
    }
    const id = setTimeout(() => marketClient().setSymbols(owner, list), debounceMs);
    return () => clearTimeout(id);
  }, [owner, key, debounceMs]);

  useEffect(() => () => marketClient().setSymbols(owner, []), [owner]);
}
