import type { Source } from "../protocol";

const LABEL: Record<Source, { text: string; title: string; cls: string }> = {
  binance: {
    text: "Binance",
    title: "Live from the Binance exchange",
    cls: "text-up border-up/40",
  },
  coinbase: {
    text: "Coinbase",
    title: "Live from the Coinbase exchange",
    cls: "text-up border-up/40",
  },
  kraken: {
    text: "Kraken",
    title: "Live from the Kraken exchange",
    cls: "text-up border-up/40",
  },
  coingecko: {
    text: "CoinGecko",
    title: "Fallback source: CoinGecko (delayed, not a live exchange feed)",
    cls: "text-warn-fg border-warn-fg/40",
  },
  simulator: {
    text: "SIM",
    title: "Simulated prices (market simulator), not real market data",
    cls: "text-sky-700 border-sky-700/40 dark:text-sky-400 dark:border-sky-400/40",
  },
};

export function SourceBadge({ source }: { source: Source }) {
  const l = LABEL[source];
  return (
    <span
      data-testid="source-badge"
      data-source={source}
      title={l.title}
      className={`inline-flex shrink-0 items-center rounded border px-1 text-[10px] font-medium leading-4 ${l.cls}`}
    >
      {l.text}
    </span>
  );
}
