import { useEffect, useMemo, useState } from "react";
import { useCryptoStore, type PriceEntry } from "../store/cryptoStore";
import { HighlightCard } from "./HighlightCard";

interface Picks {
  gainers: PriceEntry[];
  losers: PriceEntry[];
  volume: PriceEntry[];
}

function pick(prices: Record<string, PriceEntry>): Picks {
  const all = Object.values(prices);
  const byChange = [...all].sort(
    (a, b) => Number(b.priceChangePercent) - Number(a.priceChangePercent),
  );
  // volume24h is the quote volume (USDT for USDT markets): it ranks across assets as it is.
  const byVolume = [...all].sort((a, b) => Number(b.volume24h) - Number(a.volume24h));
  return {
    gainers: byChange.slice(0, 3),
    losers: byChange.slice(-3).reverse(),
    volume: byVolume.slice(0, 3),
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
