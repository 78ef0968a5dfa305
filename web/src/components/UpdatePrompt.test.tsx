import { act, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { UpdatePrompt } from "./UpdatePrompt";
import { useVersionStore } from "../store/versionStore";

describe("UpdatePrompt", () => {
  it("offers a reload inside a polite status region once the server names another build", () => {
    useVersionStore.setState({ own: "aaaa", served: "aaaa", dismissed: null });
    render(<UpdatePrompt />);
    expect(screen.queryByTestId("update-prompt")).toBeNull();
    act(() => useVersionStore.getState().setServed("bbbb"));
    const status = screen.getByRole("status");
    expect(status.textContent).toContain("A new version is available.");
    expect(screen.getByRole("button", { name: "Reload" })).toBeDefined();
    act(() => screen.getByRole("button", { name: "Dismiss the update notice" }).click());
    expect(screen.queryByTestId("update-prompt")).toBeNull();
  });
});
