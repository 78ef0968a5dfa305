import { describe, expect, it } from "vitest";
import { newVersionAvailable, useVersionStore } from "./versionStore";

describe("newVersionAvailable", () => {
  it("only when both builds are known and differ", () => {
    expect(newVersionAvailable({ own: "a", served: "b", dismissed: null })).toBe(true);
    expect(newVersionAvailable({ own: "a", served: "a", dismissed: null })).toBe(false);
    expect(newVersionAvailable({ own: null, served: "b", dismissed: null })).toBe(false);
    expect(newVersionAvailable({ own: "a", served: null, dismissed: null })).toBe(false);
  });

  it("stays dismissed for that build, and comes back for the next one", () => {
    useVersionStore.setState({ own: "a", served: "b", dismissed: null });
    useVersionStore.getState().dismiss();
    expect(newVersionAvailable(useVersionStore.getState())).toBe(false);
    useVersionStore.getState().setServed("c");
    expect(newVersionAvailable(useVersionStore.getState())).toBe(true);
  });
});
