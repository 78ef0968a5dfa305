/** Says a market does not trade now, with the exchange's own word for why. */
export function HaltedBadge({ status }: { status: string }) {
  return (
    <span
      data-testid="halted"
      title="The exchange has stopped trading this market; its last price is not live"
      className="shrink-0 rounded bg-warn-bg px-1 text-[10px] font-medium text-warn-fg"
    >
      Trading halted ({status})
    </span>
  );
}
