import { useId, useState, type FormEvent } from "react";
import { PORTFOLIO_CURRENCY } from "../lib/currency";
import { formatForInput } from "../lib/parseDecimal";
import type { LotErrors, LotInput } from "../lib/validate";

interface Props {
  symbols: readonly string[];
  /** `at`: when the trade happened, when the user gave a date (otherwise now). */
  onSubmit(input: LotInput, at: number | undefined): LotErrors;
  /** Now, for telling a future date (tests pass a fixed one). */
  now?: () => number;
}

/** The time a `datetime-local` value means in the browser's zone; undefined when empty. */
function readDate(value: string, now: number): { at: number | undefined } | { error: string } {
  if (value === "") return { at: undefined };
  const at = new Date(value).getTime();
  if (!Number.isFinite(at)) return { error: "Enter a date and time" };
  if (at > now) return { error: "The date is in the future" };
  return { at };
}

const EMPTY: LotInput = { symbol: "", side: "buy", amount: "", price: "", fee: "" };
type TextField = Exclude<keyof LotInput, "side">;

/** A buy or sell of one market: amount, price per coin and an optional fee. */
export function LotForm({ symbols, onSubmit, now = Date.now }: Props) {
  const [input, setInput] = useState(EMPTY);
  const [date, setDate] = useState("");
  const [errors, setErrors] = useState<LotErrors & { date?: string }>({});
  const listId = useId();
  const errorId = useId();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const when = readDate(date, now());
    if ("error" in when) {
      setErrors({ date: when.error });
      return;
    }
    const result = onSubmit({ ...input, symbol: input.symbol.trim().toUpperCase() }, when.at);
    setErrors(result);
    if (Object.keys(result).length === 0) {
      setInput({ ...EMPTY, side: input.side });
      setDate("");
    }
  };

  type Key = keyof LotInput | "date";
  const control = (key: Key) =>
    `h-9 w-full rounded-md border bg-panel-2 px-2 text-sm text-fg outline-none focus:border-brand ${
      errors[key] ? "border-down" : "border-line"
    }`;
  // The error sits outside the label so it is read once, as the field's description.
  const error = (key: Key) =>
    errors[key] && (
      <span
        id={`${errorId}-${key}`}
        role="alert"
        data-testid={`lot-${key}-error`}
        className="text-down"
      >
        {errors[key]}
      </span>
    );
  const described = (key: Key) => ({
    "aria-invalid": errors[key] ? true : undefined,
    "aria-describedby": errors[key] ? `${errorId}-${key}` : undefined,
  });
  const field = (key: TextField, label: string, placeholder: string, extra = {}) => (
    <div className="flex min-w-0 flex-1 flex-col gap-1 text-xs text-muted sm:basis-32">
      <label className="flex flex-col gap-1">
        {label}
        <input
          name={key}
          data-testid={`lot-${key}`}
          value={input[key]}
          onChange={(e) => setInput({ ...input, [key]: e.target.value })}
          placeholder={placeholder}
          className={control(key)}
          {...described(key)}
          {...extra}
        />
      </label>
      {error(key)}
    </div>
  );

  return (
    <form
      onSubmit={submit}
      noValidate
      className="flex flex-col gap-2 sm:flex-row sm:flex-wrap sm:items-start"
    >
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
      <div className="flex flex-col gap-1 text-xs text-muted sm:w-24">
        <label className="flex flex-col gap-1">
          Side
          <select
            name="side"
            data-testid="lot-side"
            value={input.side}
            onChange={(e) => setInput({ ...input, side: e.target.value as LotInput["side"] })}
            className={control("side")}
            {...described("side")}
          >
            <option value="buy">Buy</option>
            <option value="sell">Sell</option>
          </select>
        </label>
        {error("side")}
      </div>
      {field("amount", "Amount", formatForInput("0.5"), { inputMode: "decimal" })}
      {field("price", `Price (${PORTFOLIO_CURRENCY})`, "60000", { inputMode: "decimal" })}
      {field("fee", `Fee (${PORTFOLIO_CURRENCY}, optional)`, "0", { inputMode: "decimal" })}
      <div className="flex min-w-0 flex-1 flex-col gap-1 text-xs text-muted sm:basis-44">
        <label className="flex flex-col gap-1">
          Date (optional)
          <input
            type="datetime-local"
            name="date"
            data-testid="lot-date"
            value={date}
            onChange={(e) => setDate(e.target.value)}
            className={control("date")}
            {...described("date")}
          />
        </label>
        {error("date")}
      </div>
      <div className="flex gap-2 sm:pt-5">
        <button
          type="submit"
          data-testid="lot-submit"
          className="h-9 rounded-md bg-brand px-4 text-sm font-semibold text-black hover:brightness-105"
        >
          Add
        </button>
      </div>
    </form>
  );
}
