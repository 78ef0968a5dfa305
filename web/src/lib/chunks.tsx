/**
 * Lazily loaded page chunks that can be loaded again after a failure, and the check that tells
 * a server outage (retry later) from a new deployment (the old chunks are gone: reload).
 */
import { lazy, type ComponentType, type LazyExoticComponent } from "react";

type Loader<P> = () => Promise<{ default: ComponentType<P> }>;

/** Reloads for every chunk whose last load failed; `retryFailedChunks` runs them. */
const failed = new Set<() => void>();

/**
 * `React.lazy` keeps a rejected import for good; this one swaps in a fresh `lazy` after a failed
 * load when `retryFailedChunks()` is called, so the next render imports the chunk again.
 */
export function retryableLazy<P extends object>(load: Loader<P>): ComponentType<P> {
  let current: LazyExoticComponent<ComponentType<P>>;
  const reset = () => {
    current = lazy(() =>
      load().catch((err: unknown) => {
        failed.add(reset);
        throw err;
      }),
    );
  };
  reset();
  function Retryable(props: P) {
    const Current = current;
    return <Current {...props} />;
  }
  return Retryable;
}

export function retryFailedChunks(): void {
  const resets = [...failed];
  failed.clear();
  for (const reset of resets) reset();
}

/** What the browser says when a dynamic import or its preloaded dependency could not be fetched. */
export function isChunkLoadError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /dynamically imported module|module script failed|importing a module script|unable to preload/i.test(
    message,
  );
}

export type Deployment = "same" | "changed" | "unreachable";

/** The entry script of an index.html: its hashed name is the build id. */
function entryScript(doc: Document): string | null {
  return doc.querySelector('script[type="module"][src]')?.getAttribute("src") ?? null;
}

/**
 * Compares the build this page runs with the one the server has now: the server's index.html
 * names its entry chunk by content hash, and the entry changes whenever any chunk it imports does.
 */
export async function checkDeployment(
  fetchIndex: () => Promise<Response> = () => fetch("/", { cache: "no-store" }),
): Promise<Deployment> {
  let html: string;
  try {
    const res = await fetchIndex();
    if (!res.ok) return "unreachable";
    html = await res.text();
  } catch {
    return "unreachable";
  }
  const served = entryScript(new DOMParser().parseFromString(html, "text/html"));
  const running = entryScript(document);
  return served !== null && running !== null && served !== running ? "changed" : "same";
}
