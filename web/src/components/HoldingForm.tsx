import { useId, useState, type FormEvent } from "react";
import { formatForInput } from "../lib/parseDecimal";
import type { HoldingErrors, HoldingInput } from "../lib/validate";

interface Props {
  initial?: HoldingInput;
  symbols: readonly string[];
  submitLabel: string;
  onSubmit(input: HoldingInput): HoldingErrors;
  onCancel?(): void;
}

const EMPTY: HoldingInput = { symbol: "", amount: "", avgPrice: "" };

export function HoldingForm({ initial = EMPTY, symbols, submitLabel, onSubmit, onCancel }: Props) {
  const [input, setInput] = useState(initial);
  const [errors, setErrors] = useState<HoldingErrors>({});
  const listId = useId();
  const errorId = useId();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const result = onSubmit({ ...input, symbol: input.symbol.trim().toUpperCase() });
    setErrors(result);
    if (Object.keys(result).length === 0 && !onCancel) setInput(EMPTY);
  };

  // The error sits outside the label so it is read once, as the field's description.
  const field = (key: keyof HoldingInput, label: string, placeholder: string, extra = {}) => (
    <div className="flex min-w-0 flex-1 flex-col gap-1 text-xs text-muted">
      <label className="flex flex-col gap-1">
        {label}
        <input
          name={key}
          data-testid={`holding-${key}`}
          value={input[key]}
          onChange={(e) => setInput({ ...input, [key]: e.target.value })}
          placeholder={placeholder}
          aria-invalid={errors[key] ? true : undefined}
          aria-describedby={errors[key] ? `${errorId}-${key}` : undefined}
          className={`h-9 rounded-md border bg-panel-2 px-2 text-sm text-fg outline-none focus:border-brand ${
            errors[key] ? "border-down" : "border-line"
          }`}
          {...extra}
        />
      </label>
      {errors[key] && (
        <span
          id={`${errorId}-${key}`}
          role="alert"
          data-testid={`holding-${key}-error`}
          className="text-down"
        >
          {errors[key]}
        </span>
      )}
    </div>
  );

  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-2 sm:flex-row sm:items-start">
      {field("symbol", "Market", "BTCUSDT", {
        list: listId,
        autoComplete: "off",
        spellCheck: false,
      })}
      <datalist id={listId}>
        {symbols.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      {field("amount", "Amount", formatForInput("0.5"), { inputMode: "decimal" })}
      {field("avgPrice", "Average buy price", "60000", { inputMode: "decimal" })}
      <div className="flex gap-2 sm:pt-5">
        <button
          type="submit"
          data-testid="holding-submit"
          className="h-9 rounded-md bg-brand px-4 text-sm font-semibold text-black hover:brightness-105"
        >
          {submitLabel}
        </button>
        {onCancel && (
          <button
            type="button"
            onClick={onCancel}
            className="h-9 rounded-md border border-line px-3 text-sm"
          >
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
