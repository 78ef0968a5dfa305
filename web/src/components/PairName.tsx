/** A market as a reader names it: "ZOK/USDT", the quote muted; the raw symbol when unknown. */
export function PairName({
  symbol,
  baseAsset,
  quoteAsset,
}: {
  symbol: string;
  baseAsset?: string;
  quoteAsset?: string;
}) {
  if (!baseAsset || !quoteAsset) return <>{symbol}</>;
  return (
    <>
      {baseAsset}
      <span className="font-normal text-muted">/{quoteAsset}</span>
    </>
  );
}
