import { useEffect } from "react";
import { loadSnapshot, saveSnapshot, toSnapshot } from "../lib/lastPrices";
import { useCryptoStore } from "../store/cryptoStore";

/** How often new prices are written to IndexedDB at most (ticks arrive many times a second). */
export const SAVE_EVERY_MS = 5_000;

let lastSavedAt: number | null = null;
/** When the newest saved prices arrived (for people and tests checking what offline would show). */
export const lastSaved = (): number | null => lastSavedAt;

/**
 * Shows the last session's prices while the server has sent none (an offline start), and keeps
 * the current ones for next time: the first prices at once, then at most every `SAVE_EVERY_MS`,
 * and when the page is hidden.
 */
export function useLastPrices(saveEveryMs = SAVE_EVERY_MS): void {
  useEffect(() => {
    lastSavedAt = null; // what this page has saved
    let stopped = false;
    let writing = false;
    let pending = false;

    const save = () => {
      const snapshot = toSnapshot(useCryptoStore.getState());
      if (!snapshot || snapshot.savedAt === lastSavedAt || writing) return;
      writing = true;
      saveSnapshot(snapshot)
        .then(() => void (lastSavedAt = snapshot.savedAt))
        .catch((err: unknown) => console.warn("could not keep prices for offline use", err))
        .finally(() => void (writing = false));
    };

    loadSnapshot()
      .then((snapshot) => {
        if (stopped || !snapshot) return;
        // Marked saved before the store changes: its listener below must not write it back.
        const before = lastSavedAt;
        lastSavedAt = snapshot.savedAt;
        const { restore } = useCryptoStore.getState();
        if (!restore(snapshot.symbols, snapshot.prices, snapshot.savedAt)) lastSavedAt = before;
      })
      .catch((err: unknown) => console.warn("no saved prices", err));

    const unsubscribe = useCryptoStore.subscribe((s, before) => {
      if (s.lastMessageAt === before.lastMessageAt) return;
      if (lastSavedAt === null) save();
      else pending = true;
    });
    const timer = setInterval(() => {
      if (!pending) return;
      pending = false;
      save();
    }, saveEveryMs);
    const onHide = () => {
      if (document.visibilityState === "hidden") save();
    };
    document.addEventListener("visibilitychange", onHide);
    return () => {
      stopped = true;
      unsubscribe();
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onHide);
    };
  }, [saveEveryMs]);
}
