import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HttpError, api } from "./api";

const candles = { symbol: "BTCUSDT", interval: "1m", candles: [] };

function reply(status: number, body: unknown = {}, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers });
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("api.candles", () => {
  it("asks again after a 503, waiting as long as Retry-After says", async () => {
    const fetchMock = vi
      .fn<typeof fetch>()
      .mockResolvedValueOnce(reply(503, {}, { "Retry-After": "3" }))
      .mockResolvedValueOnce(reply(200, candles));
    vi.stubGlobal("fetch", fetchMock);
    const result = api.candles("BTCUSDT", "1m");
    await vi.advanceTimersByTimeAsync(2_900);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(200);
    await expect(result).resolves.toEqual(candles);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it("gives up after a bounded number of 503s, and never retries other errors", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn<typeof fetch>().mockImplementation(async () => reply(503)),
    );
    const gone = api.candles("BTCUSDT", "1m");
    const settled = expect(gone).rejects.toMatchObject({ status: 503 });
    await vi.advanceTimersByTimeAsync(60_000);
    await settled;
    expect(fetch).toHaveBeenCalledTimes(5);

    const notFound = vi.fn<typeof fetch>().mockImplementation(async () => reply(404));
    vi.stubGlobal("fetch", notFound);
    await expect(api.candles("NOPEUSDT", "1m")).rejects.toBeInstanceOf(HttpError);
    expect(notFound).toHaveBeenCalledTimes(1);
  });

  it("stops waiting when the request is aborted", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn<typeof fetch>().mockImplementation(async () => reply(503)),
    );
    const abort = new AbortController();
    const result = api.candles("BTCUSDT", "1m", 500, abort.signal);
    const settled = expect(result).rejects.toBeDefined();
    await vi.advanceTimersByTimeAsync(100);
    abort.abort();
    await settled;
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});
