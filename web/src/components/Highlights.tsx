import { useEffect, useMemo, useState } from "react";
import type { SymbolInfo } from "../protocol";
import { volumeInUsdt } from "../lib/bestMarket";
import { useCryptoStore, type PriceEntry } from "../store/cryptoStore";
import { useMarketMetaStore } from "../store/marketMetaStore";
import { HighlightCard } from "./HighlightCard";

interface Picks {
  gainers: PriceEntry[];
  losers: PriceEntry[];
  volume: PriceEntry[];
}

/** The first `n` entries of distinct coins: a coin listed against many quotes shows once. */
function firstPerCoin(
  list: readonly PriceEntry[],
  infos: ReadonlyMap<string, SymbolInfo>,
  n: number,
): PriceEntry[] {
  const seen = new Set<string>();
  const out: PriceEntry[] = [];
  for (const e of list) {
    const coin = infos.get(e.symbol)?.baseAsset ?? e.symbol;
    if (seen.has(coin)) continue;
    seen.add(coin);
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

function pick(prices: Record<string, PriceEntry>): Picks {
  const infos = new Map(useCryptoStore.getState().symbols.map((s) => [s.symbol, s]));
  const rates = useMarketMetaStore.getState().rates.byCurrency;
  const all = Object.values(prices);
  const byChange = [...all].sort(
    (a, b) => Number(b.priceChangePercent) - Number(a.priceChangePercent),
  );
  // Quote volumes in USDT, so markets of every quote (BTC, EUR, TRY...) rank together.
  const usdt = new Map(
    all.map((e) => {
      const info = infos.get(e.symbol);
      const v = info ? volumeInUsdt(info, prices, rates) : Number(e.volume24h);
      return [e.symbol, Number.isNaN(v) ? -1 : v];
    }),
  );
  const byVolume = [...all].sort((a, b) => (usdt.get(b.symbol) ?? 0) - (usdt.get(a.symbol) ?? 0));
  return {
    gainers: firstPerCoin(byChange, infos, 3),
    losers: firstPerCoin([...byChange].reverse(), infos, 3),
    volume: firstPerCoin(byVolume, infos, 3),
  };
}

/** Top movers and volume, recomputed every few seconds (not per tick). */
export function Highlights() {
  const [picks, setPicks] = useState<Picks>(() => pick(useCryptoStore.getState().prices));
  const symbols = useCryptoStore((s) => s.symbols);
  const infos = useMemo(() => new Map(symbols.map((s) => [s.symbol, s])), [symbols]);
  useEffect(() => {
    const id = setInterval(() => setPicks(pick(useCryptoStore.getState().prices)), 3000);
    const unsubscribe = useCryptoStore.subscribe((s, prev) => {
      // First data: show it at once rather than after the first interval.
      if (Object.keys(prev.prices).length === 0 && Object.keys(s.prices).length > 0)
        setPicks(pick(s.prices));
    });
    return () => {
      clearInterval(id);
      unsubscribe();
    };
  }, []);
  if (picks.gainers.length === 0) return null;
  return (
    <div className="hidden gap-3 md:grid md:grid-cols-3">
      <HighlightCard title="Top gainers (24h)" rows={picks.gainers} show="change" infos={infos} />
      <HighlightCard title="Top losers (24h)" rows={picks.losers} show="change" infos={infos} />
      <HighlightCard title="Highest volume (24h)" rows={picks.volume} show="volume" infos={infos} />
    </div>
  );
}
