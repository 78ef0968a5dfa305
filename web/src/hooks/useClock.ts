import { useEffect } from "react";
import { useClockStore } from "../store/clockStore";

/** Drives the page clock while mounted (App mounts it once). */
export function useClockDriver(intervalMs = 1000): void {
  useEffect(() => {
    const id = setInterval(() => useClockStore.getState().tick(), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
}
