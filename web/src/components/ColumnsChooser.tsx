import { COLUMNS } from "../lib/marketColumns";
import { useTablePrefsStore } from "../store/tablePrefsStore";

/** Which columns the table shows on a desktop; the choice is kept for the next visit. */
export function ColumnsChooser() {
  const columns = useTablePrefsStore((s) => s.columns);
  const { toggleColumn, reset } = useTablePrefsStore.getState();
  return (
    <details data-testid="columns" className="relative">
      <summary className="flex h-8 cursor-pointer list-none items-center rounded-md border border-line px-3 text-sm text-muted hover:text-fg">
        Columns
      </summary>
      <fieldset className="absolute right-0 z-10 mt-1 w-48 rounded-md border border-line bg-panel p-2 text-sm shadow-lg">
        <legend className="sr-only">Columns shown</legend>
        {COLUMNS.filter((c) => !c.fixed).map((c) => (
          <label key={c.key} className="flex items-center gap-2 rounded px-1 py-1 hover:bg-panel-2">
            <input
              type="checkbox"
              data-testid={`column-${c.key}`}
              checked={columns.includes(c.key)}
              onChange={() => toggleColumn(c.key)}
            />
            {c.key === "rank" ? "Rank (#)" : c.label}
          </label>
        ))}
        <button
          type="button"
          onClick={reset}
          className="mt-1 w-full rounded px-1 py-1 text-left text-xs text-muted hover:text-fg"
        >
          Reset to defaults
        </button>
      </fieldset>
    </details>
  );
}
