import { memo } from "react";

interface Props {
  symbol: string;
  starred: boolean;
  onToggle(symbol: string): void;
}

export const StarButton = memo(function StarButton({ symbol, starred, onToggle }: Props) {
  return (
    <button
      type="button"
      data-testid="star"
      aria-pressed={starred}
      aria-label={starred ? `Remove ${symbol} from watchlist` : `Add ${symbol} to watchlist`}
      title={starred ? "Remove from watchlist (s)" : "Add to watchlist (s)"}
      onClick={(e) => {
        e.stopPropagation();
        onToggle(symbol);
      }}
      className={`grid h-7 w-7 place-items-center rounded hover:bg-panel-2 ${
        starred ? "text-brand" : "text-muted/60 hover:text-muted"
      }`}
    >
      <svg viewBox="0 0 24 24" className="h-4 w-4" aria-hidden="true">
        <path
          d="M12 3.5l2.6 5.3 5.9.9-4.25 4.1 1 5.85L12 16.9l-5.25 2.75 1-5.85L3.5 9.7l5.9-.9z"
          fill={starred ? "currentColor" : "none"}
          stroke="currentColor"
          strokeWidth="1.6"
          strokeLinejoin="round"
        />
      </svg>
    </button>
  );
});
