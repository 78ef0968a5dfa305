import { act, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ThemeToggle } from "./ThemeToggle";
import { useThemeStore } from "../store/themeStore";

describe("ThemeToggle", () => {
  it("is named after the current theme and what a press switches to", () => {
    useThemeStore.setState({ theme: "system" });
    render(<ThemeToggle />);
    const button = screen.getByRole("button", { name: "Theme: auto (switch to dark)" });
    act(() => button.click());
    expect(screen.getByRole("button").getAttribute("aria-label")).toBe(
      "Theme: dark (switch to light)",
    );
    act(() => screen.getByRole("button").click());
    expect(screen.getByRole("button", { name: "Theme: light (switch to auto)" })).toBeDefined();
  });
});
