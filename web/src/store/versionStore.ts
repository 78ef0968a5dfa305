/** Which build of the web app the server serves, against the one this page runs. */
import { create } from "zustand";

/** This page's build id, from the index.html it was loaded with; null in development. */
export function ownBuild(): string | null {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="build-id"]');
  return meta?.content || null;
}

export interface VersionState {
  own: string | null;
  served: string | null;
  dismissed: string | null;
  setServed(build: string | null | undefined): void;
  dismiss(): void;
}

export const useVersionStore = create<VersionState>()((set) => ({
  own: ownBuild(),
  served: null,
  dismissed: null,
  setServed: (build) => set({ served: build ?? null }),
  // Until the server names yet another build.
  dismiss: () => set((s) => ({ dismissed: s.served })),
}));

/** A reload would bring a different build: both are known, they differ, and it was not waved off. */
export function newVersionAvailable(s: Pick<VersionState, "own" | "served" | "dismissed">) {
  return s.own !== null && s.served !== null && s.served !== s.own && s.served !== s.dismissed;
}
