/// <reference types="vitest/config" />
import { createHash } from "node:crypto";
import { defineConfig, type Plugin } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";
import { VitePWA } from "vite-plugin-pwa";

const backend = process.env.CRYPTOTRACKER_BACKEND ?? "http://127.0.0.1:8000";

/** Names this build in index.html (`<meta name="build-id">`): a digest of the emitted file names,
 * which carry content hashes, so it changes whenever the deployed code does. The server reads the
 * same tag and tells open pages, which offer a reload when theirs differs. */
function buildId(): Plugin {
  return {
    name: "cryptotracker-build-id",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, ctx) {
        const names = Object.keys(ctx.bundle ?? {}).sort();
        const id = createHash("sha256").update(names.join("\n")).digest("hex").slice(0, 12);
        return [{ tag: "meta", attrs: { name: "build-id", content: id }, injectTo: "head" }];
      },
    },
  };
}

export default defineConfig({
  plugins: [
    react(),
    tailwindcss(),
    buildId(),
    VitePWA({
      // A plain /registerSW.js: the policy allows no inline script.
      injectRegister: "script",
      // The new worker takes over at once; the page offers the reload (UpdatePrompt).
      registerType: "autoUpdate",
      includeAssets: ["theme.js", "icons/icon.svg"],
      manifest: {
        name: "Crypto Tracker",
        short_name: "Crypto",
        description: "Real-time cryptocurrency prices, watchlist, portfolio and charts",
        start_url: "/",
        scope: "/",
        display: "standalone",
        theme_color: "#f0b90b",
        background_color: "#0b0e11",
        icons: [
          { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png" },
          {
            src: "/icons/icon-512-maskable.png",
            sizes: "512x512",
            type: "image/png",
            purpose: "maskable",
          },
          { src: "/icons/icon.svg", sizes: "any", type: "image/svg+xml" },
        ],
      },
      workbox: {
        globPatterns: ["**/*.{js,css,html,svg,png,webmanifest}"],
        // Every page route is the app shell; the server's own paths never are.
        navigateFallback: "/index.html",
        navigateFallbackDenylist: [
          /^\/(api|health|metrics|socket\.io|docs|redoc|openapi\.json)(\/|$)/,
        ],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  build: {
    outDir: "dist",
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      "/api": { target: backend, changeOrigin: true },
      "/health": { target: backend, changeOrigin: true },
      "/socket.io": { target: backend, changeOrigin: true, ws: true },
    },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    setupFiles: ["src/test/setup.ts"],
    pool: "threads",
    maxWorkers: 2,
    testTimeout: 15000,
  },
});
