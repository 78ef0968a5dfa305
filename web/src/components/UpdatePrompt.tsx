import { useEffect, useState } from "react";
import { checkForUpdate, reloadToLatest } from "../lib/serviceWorker";
import { newVersionAvailable, useVersionStore } from "../store/versionStore";

/** "A new version is available — Reload": the server serves another build than this page's.
 * Never blocks: the page keeps working until the user reloads or dismisses it. */
export function UpdatePrompt() {
  const show = useVersionStore(newVersionAvailable);
  const dismiss = useVersionStore((s) => s.dismiss);
  const [reloading, setReloading] = useState(false);
  // The new worker installs while the user reads the notice: the reload is then immediate.
  useEffect(() => {
    if (show) checkForUpdate();
  }, [show]);
  return (
    <div
      role="status"
      className="pointer-events-none fixed inset-x-0 bottom-4 z-40 flex justify-center px-2"
    >
      {show && (
        <div
          data-testid="update-prompt"
          className="pointer-events-auto flex items-center gap-3 rounded-lg border border-line bg-panel px-4 py-2 text-sm shadow-lg"
        >
          <span>A new version is available.</span>
          <button
            type="button"
            data-testid="update-reload"
            disabled={reloading}
            onClick={() => {
              setReloading(true);
              void reloadToLatest();
            }}
            className="rounded-md bg-brand px-3 py-1 font-medium text-black"
          >
            {reloading ? "Reloading…" : "Reload"}
          </button>
          <button
            type="button"
            aria-label="Dismiss the update notice"
            onClick={dismiss}
            className="text-muted hover:text-fg"
          >
            ×
          </button>
        </div>
      )}
    </div>
  );
}
