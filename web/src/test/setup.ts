import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

// Testing Library unmounts automatically only with vitest globals; say it explicitly.
afterEach(() => cleanup());
