import { useEffect, useRef, useState } from "react";

/**
 * `value`, changing at most once per `intervalMs`: the first change shows at once, later ones
 * within the interval are held and the latest of them shown when it ends (nothing is lost).
 */
export function useThrottledValue<T>(value: T, intervalMs: number): T {
  const [shown, setShown] = useState(value);
  const lastShownAt = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const latest = useRef(value);

  useEffect(() => {
    latest.current = value;
    if (Object.is(value, shown)) return;
    if (timer.current) return; // a trailing update is already due and will take `latest`
    const wait = lastShownAt.current + intervalMs - Date.now();
    const show = () => {
      timer.current = null;
      lastShownAt.current = Date.now();
      setShown(latest.current);
    };
    if (wait <= 0) show();
    else timer.current = setTimeout(show, wait);
  }, [value, shown, intervalMs]);

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  return shown;
}
