/**
 * Client telemetry for the operators' dashboards: page timings (web-vitals and Navigation
 * Timing), sampled FPS, JS heap where the browser exposes it, and reconnections. Sent to
 * POST /api/telemetry in small batches; never blocks or breaks the page.
 */
import { onCLS, onFCP, onINP, onLCP, onTTFB, type Metric } from "web-vitals";
import type { TelemetryBatch } from "../protocol";
import { useCryptoStore } from "../store/cryptoStore";

const MAX_SAMPLES = 120;

interface Options {
  endpoint?: string;
  flushMs?: number;
  sampleMs?: number;
}

let interactiveAt: number | null = null;
let interactiveSent = false;

/** Called once the page shows live prices: our "time to interactive". */
export function markInteractive(): void {
  if (interactiveAt === null) interactiveAt = performance.now();
}

function measureFps(durationMs: number): Promise<number | null> {
  if (typeof requestAnimationFrame !== "function" || document.visibilityState !== "visible") {
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    let frames = 0;
    const start = performance.now();
    const step = (t: number) => {
      frames += 1;
      if (t - start >= durationMs) resolve((frames * 1000) / (t - start));
      else requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
}

function heapUsed(): number | null {
  const memory = (performance as Performance & { memory?: { usedJSHeapSize?: number } }).memory;
  return typeof memory?.usedJSHeapSize === "number" ? memory.usedJSHeapSize : null;
}

export function startTelemetry({
  endpoint = "/api/telemetry",
  flushMs = 30_000,
  sampleMs = 10_000,
}: Options = {}): () => void {
  const vitals: Record<string, number> = {};
  const fps: number[] = [];
  const heap: number[] = [];
  let loadSent = false;
  let reconnectsSent = useCryptoStore.getState().link.reconnects;

  const record = (m: Metric) => {
    vitals[m.name] = m.value;
  };
  onCLS(record);
  onFCP(record);
  onINP(record);
  onLCP(record);
  onTTFB(record);

  const batch = (): TelemetryBatch | null => {
    const body: TelemetryBatch = {};
    if (!loadSent) {
      const nav = performance.getEntriesByType("navigation")[0] as
        PerformanceNavigationTiming | undefined;
      if (nav && nav.loadEventEnd > 0) {
        body.loadTimeMs = Math.round(nav.loadEventEnd);
        loadSent = true;
      }
    }
    if (interactiveAt !== null && !interactiveSent) {
      body.timeToInteractiveMs = Math.round(interactiveAt);
      interactiveSent = true;
    }
    if (fps.length) body.fpsSamples = fps.splice(0, MAX_SAMPLES);
    if (heap.length) body.heapUsedBytes = heap.splice(0, MAX_SAMPLES);
    const reconnects = useCryptoStore.getState().link.reconnects;
    if (reconnects > reconnectsSent) {
      body.reconnects = reconnects - reconnectsSent;
      reconnectsSent = reconnects;
    }
    const names = Object.keys(vitals);
    if (names.length) {
      body.webVitals = { ...vitals };
      for (const n of names) delete vitals[n];
    }
    return Object.keys(body).length ? body : null;
  };

  const flush = (beacon = false) => {
    const body = batch();
    if (!body) return;
    const json = JSON.stringify(body);
    try {
      if (beacon && typeof navigator.sendBeacon === "function") {
        navigator.sendBeacon(endpoint, new Blob([json], { type: "application/json" }));
      } else {
        void fetch(endpoint, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: json,
          keepalive: true,
        }).catch(() => undefined);
      }
    } catch {
      // Telemetry is best effort.
    }
  };

  const sample = async () => {
    const h = heapUsed();
    if (h !== null && heap.length < MAX_SAMPLES) heap.push(h);
    const f = await measureFps(1000);
    if (f !== null && fps.length < MAX_SAMPLES) fps.push(Math.round(f * 10) / 10);
  };

  const sampler = setInterval(() => void sample(), sampleMs);
  const flusher = setInterval(() => flush(), flushMs);
  const onHide = () => {
    if (document.visibilityState === "hidden") flush(true);
  };
  document.addEventListener("visibilitychange", onHide);
  return () => {
    clearInterval(sampler);
    clearInterval(flusher);
    document.removeEventListener("visibilitychange", onHide);
  };
}
