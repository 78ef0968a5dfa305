import { newVersionAvailable, useVersionStore } from "../store/versionStore";

/** "A new version is available — Reload": the server serves another build than this page's.
 * Never blocks: the page keeps working until the user reloads or dismisses it. */
export function UpdatePrompt() {
  const show = useVersionStore(newVersionAvailable);
  const dismiss = useVersionStore((s) => s.dismiss);
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
            onClick={() => window.location.reload()}
            className="rounded-md bg-brand px-3 py-1 font-medium text-black"
          >
            Reload
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
