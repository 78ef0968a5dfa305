import { act, fireEvent, render, screen } from "@testing-library/react";
import { Suspense } from "react";
import { describe, expect, it, vi } from "vitest";
import { checkDeployment, retryableLazy, type Deployment } from "../lib/chunks";
import { RouteBoundary } from "./RouteBoundary";

function Page() {
  return <p data-testid="page">loaded</p>;
}

const chunkError = () =>
  new TypeError("Failed to fetch dynamically imported module: http://x/assets/Page-abc.js");

function renderRoute(
  Lazy: React.ComponentType,
  check: () => Promise<Deployment>,
  resetKey = "/markets/BTCUSDT",
) {
  const ui = (key: string) => (
    <RouteBoundary resetKey={key} check={check}>
      <Suspense fallback={<p>Loading…</p>}>
        <Lazy />
      </Suspense>
    </RouteBoundary>
  );
  const view = render(ui(resetKey));
  return { ...view, navigate: (key: string) => view.rerender(ui(key)) };
}

describe("RouteBoundary", () => {
  it("shows a message with Retry when a chunk fails, and Retry imports it again", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const load = vi
      .fn<() => Promise<{ default: React.ComponentType }>>()
      .mockRejectedValueOnce(chunkError())
      .mockResolvedValue({ default: Page });
    renderRoute(retryableLazy(load), () => Promise.resolve("unreachable"));

    const error = await screen.findByTestId("route-error");
    await vi.waitFor(() => expect(error.dataset.deployment).toBe("unreachable"));
    expect(error.textContent).toContain("server is not reachable");

    await act(async () => fireEvent.click(screen.getByTestId("route-retry")));
    expect(await screen.findByTestId("page")).toBeTruthy();
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("offers only Reload when a new build is deployed", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const load = () => Promise.reject(chunkError());
    renderRoute(retryableLazy(load), () => Promise.resolve("changed"));

    const error = await screen.findByTestId("route-error");
    await vi.waitFor(() => expect(error.dataset.deployment).toBe("changed"));
    expect(error.textContent).toContain("new version");
    expect(screen.queryByTestId("route-retry")).toBeNull();
    expect(screen.getByTestId("route-reload")).toBeTruthy();
  });

  it("clears the error when the location changes", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const load = vi
      .fn<() => Promise<{ default: React.ComponentType }>>()
      .mockRejectedValueOnce(chunkError())
      .mockResolvedValue({ default: Page });
    const { navigate } = renderRoute(retryableLazy(load), () => Promise.resolve("same"));
    await screen.findByTestId("route-error");

    await act(async () => navigate("/markets/ETHUSDT"));
    expect(await screen.findByTestId("page")).toBeTruthy();
  });
});

describe("checkDeployment", () => {
  const html = (entry: string) =>
    `<!doctype html><head><script type="module" src="${entry}"></script></head>`;

  it("compares the served entry chunk with the running one", async () => {
    document.head.innerHTML = html("/assets/index-OLD.js");
    const serve = (body: string) => () => Promise.resolve(new Response(body));
    expect(await checkDeployment(serve(html("/assets/index-OLD.js")))).toBe("same");
    expect(await checkDeployment(serve(html("/assets/index-NEW.js")))).toBe("changed");
    expect(await checkDeployment(() => Promise.reject(new TypeError("Failed to fetch")))).toBe(
      "unreachable",
    );
    expect(await checkDeployment(() => Promise.resolve(new Response("", { status: 502 })))).toBe(
      "unreachable",
    );
  });
});
