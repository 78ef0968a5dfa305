import { useState } from "react";

/** A coin's logo from our own origin, or a neutral disc with its initial when there is none or
 * it fails to load. Decorative: the pair's name says what it is. */
export function CoinLogo({ asset, src }: { asset: string; src: string | null }) {
  const [failed, setFailed] = useState<string | null>(null);
  if (!src || failed === src) {
    return (
      <span
        data-testid="coin-logo-placeholder"
        aria-hidden="true"
        className="inline-flex h-5 w-5 shrink-0 items-center justify-center rounded-full bg-panel-2 text-[10px] font-semibold text-muted ring-1 ring-line"
      >
        {asset.slice(0, 1)}
      </span>
    );
  }
  return (
    <img
      data-testid="coin-logo"
      src={src}
      alt=""
      width={20}
      height={20}
      loading="lazy"
      decoding="async"
      onError={() => setFailed(src)}
      className="h-5 w-5 shrink-0 rounded-full"
    />
  );
}
