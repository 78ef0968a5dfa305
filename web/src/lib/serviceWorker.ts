/**
 * The page's side of the service worker (registered by /registerSW.js, built by vite-plugin-pwa):
 * after a deploy, reload onto the new build rather than the old one the worker still caches.
 */

/** Asks the browser to fetch sw.js now instead of at the next navigation. */
export function checkForUpdate(): void {
  navigator.serviceWorker
    ?.getRegistration()
    .then((reg) => reg?.update())
    .catch(() => undefined);
}

/** Reloads once a newer worker (it skips waiting and claims the page) has taken over, so the
 * reload is answered with the new app shell; bounded, so a worker that fails still reloads. */
export async function reloadToLatest(timeoutMs = 10_000): Promise<void> {
  const sw = "serviceWorker" in navigator ? navigator.serviceWorker : undefined;
  const reg = await sw?.getRegistration().catch(() => undefined);
  if (sw && reg) {
    await reg.update().catch(() => undefined);
    if (reg.installing || reg.waiting) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        sw.addEventListener(
          "controllerchange",
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }
  window.location.reload();
}
