import { useEffect } from "react";
import { useToastStore, type Toast } from "../store/toastStore";

const TONE: Record<Toast["tone"], string> = {
  info: "border-l-sky-500",
  success: "border-l-up",
  warning: "border-l-brand",
  alert: "border-l-down",
};

/** One toast; alerts stay 15 s, other notes 6 s, unless dismissed. */
export function ToastItem({ toast }: { toast: Toast }) {
  const dismiss = useToastStore((s) => s.dismiss);
  useEffect(() => {
    const id = setTimeout(() => dismiss(toast.id), toast.tone === "alert" ? 15000 : 6000);
    return () => clearTimeout(id);
  }, [toast.id, toast.tone, dismiss]);
  return (
    <div
      data-testid="toast"
      role={toast.tone === "alert" ? "alert" : "status"}
      className={`pointer-events-auto w-80 max-w-[calc(100vw-1rem)] rounded-md border border-l-4 border-line bg-panel p-3 shadow-lg ${TONE[toast.tone]}`}
    >
      <div className="flex items-start gap-2">
        <div className="min-w-0 flex-1">
          <p className="text-sm font-semibold">{toast.title}</p>
          <p className="mt-0.5 text-sm text-muted">{toast.body}</p>
        </div>
        <button
          type="button"
          aria-label="Dismiss"
          onClick={() => dismiss(toast.id)}
          className="text-muted hover:text-fg"
        >
          ✕
        </button>
      </div>
    </div>
  );
}
