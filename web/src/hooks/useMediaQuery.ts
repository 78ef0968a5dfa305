import { useCallback, useSyncExternalStore } from "react";

/** Whether a CSS media query matches now; re-renders when it starts or stops matching. False
 * where `matchMedia` is missing (tests without a layout). */
export function useMediaQuery(query: string): boolean {
  const subscribe = useCallback(
    (onChange: () => void) => {
      const media = window.matchMedia?.(query);
      media?.addEventListener("change", onChange);
      return () => media?.removeEventListener("change", onChange);
    },
    [query],
  );
  return useSyncExternalStore(subscribe, () => window.matchMedia?.(query).matches ?? false);
}
