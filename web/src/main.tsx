import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { lastSaved } from "./hooks/useLastPrices";
import { marketClient } from "./lib/market";
import { startTelemetry } from "./lib/telemetry";
import "./index.css";

const root = document.getElementById("root");
if (!root) throw new Error("#root missing from index.html");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

startTelemetry();

// For operators and end-to-end tests: what the page asked the server for, and message counts.
Object.defineProperty(window, "cryptotracker", {
  value: {
    subscribed: () => marketClient().confirmed,
    wanted: () => [...marketClient().wanted().symbols].sort(),
    stats: () => ({ ...marketClient().stats }),
    lastSaved,
  },
});
