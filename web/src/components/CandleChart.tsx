import {
  CandlestickSeries,
  ColorType,
  createChart,
  HistogramSeries,
  type BarData,
  type CandlestickData,
  type HistogramData,
  type IChartApi,
  type ISeriesApi,
  type MouseEventParams,
  type UTCTimestamp,
} from "lightweight-charts";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useLayoutEffect, useRef } from "react";
import { api } from "../lib/api";
import { axisPriceFormatter, formatOhlc, priceDigits } from "../lib/format";
import { marketClient, onCandle } from "../lib/market";
import type { CandleData, CandleInterval } from "../protocol";

interface Props {
  symbol: string;
  interval: CandleInterval;
  dark: boolean;
}

/** Most bars on screen after loading history (trading sites open at a similar density). */
const VISIBLE_BARS = 150;
/** Bars of history loaded when a chart opens. */
const HISTORY_BARS = 500;

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function toBar(c: CandleData): CandlestickData<UTCTimestamp> {
  return {
    time: Math.floor(c.openTime / 1000) as UTCTimestamp,
    open: Number(c.open),
    high: Number(c.high),
    low: Number(c.low),
    close: Number(c.close),
  };
}

function toVolume(c: CandleData): HistogramData<UTCTimestamp> {
  const up = Number(c.close) >= Number(c.open);
  return {
    time: Math.floor(c.openTime / 1000) as UTCTimestamp,
    value: Number(c.volume),
    color: up ? "rgba(14, 203, 129, 0.45)" : "rgba(246, 70, 93, 0.45)",
  };
}

interface LiveState {
  key: string;
  loaded: boolean;
  pending: CandleData[];
  count: number;
}

interface LiveTarget {
  candles: ISeriesApi<"Candlestick"> | null;
  volume: ISeriesApi<"Histogram"> | null;
  box: HTMLDivElement | null;
  live: LiveState;
}

function applyLive(c: CandleData, t: LiveTarget): void {
  t.candles?.update(toBar(c));
  t.volume?.update(toVolume(c));
  // For people and tests inspecting the page: the forming candle's last update.
  t.live.count += 1;
  if (t.box) {
    t.box.dataset.liveUpdates = String(t.live.count);
    t.box.dataset.lastClose = c.close;
  }
}

/**
 * Candlesticks and volume. The chart and its series live in refs for the component's lifetime;
 * history comes from /api/candles (a TanStack query per symbol and interval; `api.candles` waits
 * out a server's 503 itself), then each `candle_update` goes to `series.update()` directly (no
 * React state per tick).
 */
export function CandleChart({ symbol, interval, dark }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const candles = useRef<ISeriesApi<"Candlestick"> | null>(null);
  const volume = useRef<ISeriesApi<"Histogram"> | null>(null);
  const readout = useRef<HTMLDivElement>(null);
  // The axis's formatter, also used by the hover readout: one precision per chart.
  const priceFormat = useRef(axisPriceFormatter(2));
  // One chart per mount.
  useEffect(() => {
    if (!box.current) return;
    const c = createChart(box.current, {
      autoSize: true,
      layout: { attributionLogo: false, fontSize: 11 },
      rightPriceScale: { borderVisible: false },
      timeScale: { borderVisible: false, timeVisible: true, secondsVisible: false },
      crosshair: { mode: 0 },
      localization: { priceFormatter: (p: number) => priceFormat.current(p) },
    });
    candles.current = c.addSeries(CandlestickSeries, {
      upColor: "#0ecb81",
      downColor: "#f6465d",
      borderVisible: false,
      wickUpColor: "#0ecb81",
      wickDownColor: "#f6465d",
      priceFormat: { type: "price", precision: 2, minMove: 0.01 },
    });
    volume.current = c.addSeries(HistogramSeries, {
      priceScaleId: "",
      priceFormat: { type: "volume" },
      // The overlay scale has no axis: its last-value label would sit on the price axis.
      lastValueVisible: false,
      priceLineVisible: false,
    });
    volume.current.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    candles.current.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.25 } });
    // The readout is written straight to the DOM: a mouse move must not re-render React.
    const onMove = (param: MouseEventParams) => {
      const series = candles.current;
      // The candlestick series' entry is one of its own bars (or absent off the data).
      const bar = series ? (param.seriesData.get(series) as BarData | undefined) : undefined;
      if (!readout.current) return;
      readout.current.textContent =
        bar && "close" in bar ? formatOhlc(bar, priceFormat.current) : "";
    };
    c.subscribeCrosshairMove(onMove);
    chart.current = c;
    return () => {
      c.unsubscribeCrosshairMove(onMove);
      c.remove();
      chart.current = null;
      candles.current = null;
      volume.current = null;
    };
  }, []);

  // Colours follow the theme.
  useEffect(() => {
    chart.current?.applyOptions({
      layout: {
        background: { type: ColorType.Solid, color: cssVar("--panel") },
        textColor: cssVar("--muted"),
      },
      grid: { vertLines: { color: cssVar("--line") }, horzLines: { color: cssVar("--line") } },
    });
  }, [dark]);

  // History for this symbol and interval: fetched anew each time a chart opens on it.
  const history = useQuery({
    queryKey: ["candles", symbol, interval, HISTORY_BARS],
    queryFn: ({ signal }) => api.candles(symbol, interval, HISTORY_BARS, signal),
    retry: false,
    gcTime: 0,
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    refetchOnReconnect: false,
  });

  // Live candles of this symbol and interval, held until its history is on the chart.
  const live = useRef<LiveState>({ key: "", loaded: false, pending: [], count: 0 });
  const target = (): LiveTarget => ({
    candles: candles.current,
    volume: volume.current,
    box: box.current,
    live: live.current,
  });

  useEffect(() => {
    live.current = { key: `${symbol}|${interval}`, loaded: false, pending: [], count: 0 };
    if (box.current) box.current.dataset.liveUpdates = "0";
    const off = onCandle((c) => {
      if (c.symbol !== symbol || c.interval !== interval) return;
      if (!live.current.loaded) live.current.pending.push(c);
      else {
        try {
          applyLive(c, target());
        } catch {
          // An update older than the last bar (reordered message): skip it.
        }
      }
    });
    marketClient().setCandles("chart", [{ symbol, interval }]);
    return () => {
      off();
      marketClient().setCandles("chart", []);
    };
  }, [symbol, interval]);

  // History onto the chart before the page shows "ready": a layout effect, in the same commit.
  const { data } = history;
  useLayoutEffect(() => {
    const state = live.current;
    if (data === undefined || state.loaded || state.key !== `${symbol}|${interval}`) return;
    const rows = Array.isArray(data.candles) ? data.candles : [];
    candles.current?.setData(rows.map(toBar));
    volume.current?.setData(rows.map(toVolume));
    const last = rows[rows.length - 1];
    if (last) {
      const p = Number(last.close);
      const precision = priceDigits(p).max; // the axis reads like the tables
      priceFormat.current = axisPriceFormatter(precision);
      candles.current?.applyOptions({
        priceFormat: { type: "price", precision, minMove: 10 ** -precision },
      });
    }
    state.loaded = true;
    for (const c of state.pending) {
      if (!last || c.openTime >= last.openTime) applyLive(c, target());
    }
    state.pending = [];
    // Show the recent bars at a readable width (about 8 px each, fewer on a phone); the rest is
    // a scroll or pinch away.
    const bars = Math.min(VISIBLE_BARS, Math.floor((box.current?.clientWidth ?? 1200) / 8));
    if (rows.length > bars) {
      chart.current
        ?.timeScale()
        .setVisibleLogicalRange({ from: rows.length - bars, to: rows.length + 2 });
    } else chart.current?.timeScale().fitContent();
  }, [data, symbol, interval]);

  const status: "loading" | "ready" | "empty" | "error" = history.isError
    ? "error"
    : data === undefined
      ? "loading"
      : data.candles.length
        ? "ready"
        : "empty";
  const error = history.error instanceof Error ? history.error.message : String(history.error);

  return (
    <div className="relative h-full min-h-[320px] w-full">
      <div ref={box} data-testid="candle-chart" data-status={status} className="absolute inset-0" />
      <div
        ref={readout}
        data-testid="ohlc-readout"
        className="tabular pointer-events-none absolute left-2 top-1 z-10 text-xs text-muted"
      />
      {status !== "ready" && (
        <div className="pointer-events-none absolute inset-0 grid place-items-center text-sm text-muted">
          {status === "loading"
            ? "Loading candles…"
            : status === "empty"
              ? "No candles yet."
              : `Candles unavailable: ${error}`}
        </div>
      )}
    </div>
  );
}
