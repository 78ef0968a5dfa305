import { useState } from "react";

/** Asks for browser notifications, or says why alerts stay in the page. */
export function NotificationPermission() {
  const supported = typeof Notification !== "undefined";
  const [permission, setPermission] = useState(supported ? Notification.permission : "denied");
  if (!supported)
    return (
      <p className="text-xs text-muted">
        This browser has no notifications: alerts show in the page.
      </p>
    );
  if (permission === "granted")
    return <p className="text-xs text-up">Browser notifications are on.</p>;
  if (permission === "denied") {
    return (
      <p className="text-xs text-muted">
        Browser notifications are blocked: alerts show in the page only.
      </p>
    );
  }
  return (
    <button
      type="button"
      onClick={() => void Notification.requestPermission().then(setPermission)}
      className="h-8 rounded-md border border-line px-3 text-sm hover:border-brand"
    >
      Enable browser notifications
    </button>
  );
}
