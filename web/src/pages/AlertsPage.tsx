import { useMemo, useState, type FormEvent } from "react";
import { Link, useSearch } from "wouter";
import {
  alreadyTrueNote,
  describeCondition,
  describeRearm,
  guessQuote,
  type AlertCondition,
  type AlertField,
  type RearmRule,
} from "../lib/alerts";
import { formatPrice } from "../lib/format";
import { readAmount } from "../lib/validate";
import { HISTORY_LIMIT, useAlertsStore } from "../store/alertsStore";
import { useCryptoStore } from "../store/cryptoStore";
import { ConversionNote } from "../components/ConversionNote";
import { ConvertedAmount } from "../components/ConvertedAmount";
import { NotificationPermission } from "../components/NotificationPermission";

type Kind = AlertCondition["kind"];
type RearmKind = RearmRule["kind"];
type Errors = Partial<Record<AlertField, string>>;

/** The condition with its numbers read in the browser's locale, or an error per field. */
function readCondition(
  kind: Kind,
  price: string,
  percent: string,
  minutes: string,
): AlertCondition | Errors {
  if (kind !== "move") {
    const p = readAmount(price, "Price");
    return p.ok ? { kind, price: p.value } : { price: p.error };
  }
  const pct = readAmount(percent, "Percent");
  const min = readAmount(minutes, "Minutes");
  const errors: Errors = {};
  if (!pct.ok) errors.percent = pct.error;
  if (!min.ok) errors.minutes = min.error;
  else if (!/^\d+$/.test(min.value)) errors.minutes = "Minutes must be a whole number";
  if (!pct.ok || !min.ok || errors.minutes) return errors;
  return { kind, percent: pct.value, minutes: Number(min.value) };
}

function readRearm(kind: RearmKind, cooldown: string): RearmRule | Errors {
  if (kind !== "cooldown") return { kind };
  const min = readAmount(cooldown, "Cooldown");
  if (!min.ok) return { cooldown: min.error };
  if (!/^\d+$/.test(min.value)) return { cooldown: "Cooldown must be a whole number of minutes" };
  return { kind, minutes: Number(min.value) };
}

/** The note under the price: what the alert does when it is already true. */
function pendingNote(symbol: string, kind: Kind, price: string, current: string | undefined) {
  if (kind === "move") return null;
  const p = readAmount(price, "Price");
  return p.ok ? alreadyTrueNote(symbol, { kind, price: p.value }, current) : null;
}

export function AlertsPage() {
  const alerts = useAlertsStore((s) => s.alerts);
  const history = useAlertsStore((s) => s.history);
  const { add, remove, rearm, clearHistory } = useAlertsStore.getState();
  const symbols = useCryptoStore((s) => s.symbols);
  const params = new URLSearchParams(useSearch());
  const [symbol, setSymbol] = useState(params.get("symbol") ?? "");
  const [kind, setKind] = useState<Kind>("above");
  const [price, setPrice] = useState("");
  const [percent, setPercent] = useState("5");
  const [minutes, setMinutes] = useState("60");
  const [rearmKind, setRearmKind] = useState<RearmKind>("once");
  const [cooldown, setCooldown] = useState("60");
  const [errors, setErrors] = useState<Errors>({});
  const sym = symbol.trim().toUpperCase();
  const current = useCryptoStore((s) => s.prices[sym]?.price);
  const note = pendingNote(sym, kind, price, current);
  const symbolList = useMemo(() => symbols.map((s) => s.symbol), [symbols]);
  // Thresholds are typed in the market's own quote currency, and kept in it.
  const quote = symbols.find((s) => s.symbol === sym)?.quoteAsset ?? guessQuote(sym);
  const typed = readAmount(price, "Price");

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (symbolList.length && !symbolList.includes(sym)) {
      setErrors({ symbol: `Unknown market ${sym || "(none)"}` });
      return;
    }
    const condition = readCondition(kind, price, percent, minutes);
    if (!("kind" in condition)) {
      setErrors(condition);
      return;
    }
    const rule = readRearm(rearmKind, cooldown);
    if (!("kind" in rule)) {
      setErrors(rule);
      return;
    }
    const err = add(sym, condition, rule, useCryptoStore.getState().prices[sym]?.price, quote);
    setErrors(err ? { [err.field]: err.message } : {});
    if (!err) setPrice("");
  };

  /** Marks a field invalid and points it at its message. */
  const invalid = (f: AlertField) =>
    errors[f]
      ? { "aria-invalid": true, "aria-describedby": `alert-${f}-error` }
      : { "aria-invalid": undefined, "aria-describedby": undefined };
  const message = (f: AlertField) =>
    errors[f] && (
      <span
        id={`alert-${f}-error`}
        data-testid={`alert-${f}-error`}
        role="alert"
        className="text-down"
      >
        {errors[f]}
      </span>
    );

  const input =
    "h-9 rounded-md border border-line bg-panel-2 px-2 text-sm text-fg outline-none focus:border-brand aria-invalid:border-down";
  const field = "flex flex-col gap-1 text-xs text-muted";
  return (
    <div className="mx-auto flex w-full max-w-4xl flex-col gap-4 p-2 sm:p-4">
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="text-xl font-semibold">Price alerts</h1>
        <ConversionNote />
        <div className="ml-auto">
          <NotificationPermission />
        </div>
      </div>
      <form
        onSubmit={submit}
        noValidate
        className="flex flex-col gap-3 rounded-lg border border-line bg-panel p-4 sm:flex-row sm:flex-wrap sm:items-start"
      >
        <div className={field}>
          <label className="flex flex-col gap-1">
            Market
            <input
              data-testid="alert-symbol"
              list="alert-symbols"
              value={symbol}
              onChange={(e) => setSymbol(e.target.value)}
              placeholder="BTCUSDT"
              className={input}
              {...invalid("symbol")}
            />
          </label>
          <datalist id="alert-symbols">
            {symbolList.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
          {message("symbol")}
        </div>
        <label className={field}>
          When price
          <select
            data-testid="alert-kind"
            value={kind}
            onChange={(e) => setKind(e.target.value as Kind)}
            className={input}
          >
            <option value="above">crosses above</option>
            <option value="below">crosses below</option>
            <option value="move">moves ±N % within M minutes</option>
          </select>
        </label>
        {kind === "move" ? (
          <>
            <div className={`${field} w-24`}>
              <label className="flex flex-col gap-1">
                Percent
                <input
                  data-testid="alert-percent"
                  value={percent}
                  onChange={(e) => setPercent(e.target.value)}
                  inputMode="decimal"
                  className={input}
                  {...invalid("percent")}
                />
              </label>
              {message("percent")}
            </div>
            <div className={`${field} w-24`}>
              <label className="flex flex-col gap-1">
                Minutes
                <input
                  data-testid="alert-minutes"
                  value={minutes}
                  onChange={(e) => setMinutes(e.target.value)}
                  inputMode="numeric"
                  className={input}
                  {...invalid("minutes")}
                />
              </label>
              {message("minutes")}
            </div>
          </>
        ) : (
          <div className={`${field} sm:max-w-64`}>
            <label className="flex flex-col gap-1">
              <span className="whitespace-nowrap">
                Price{current ? ` (now ${formatPrice(current)} ${quote})` : ` (${quote})`}
              </span>
              <input
                data-testid="alert-price"
                value={price}
                onChange={(e) => setPrice(e.target.value)}
                inputMode="decimal"
                placeholder="100000"
                className={input}
                {...invalid("price")}
              />
            </label>
            {message("price")}
            {typed.ok && <ConvertedAmount value={typed.value} currency={quote} />}
            {note && (
              <span data-testid="alert-note" className="text-fg">
                {note}
              </span>
            )}
          </div>
        )}
        <label className={field}>
          Fires
          <select
            data-testid="alert-rearm"
            value={rearmKind}
            onChange={(e) => setRearmKind(e.target.value as RearmKind)}
            className={input}
          >
            <option value="once">once</option>
            <option value="crossBack">every time (after it crosses back)</option>
            <option value="cooldown">at most every N minutes</option>
          </select>
        </label>
        {rearmKind === "cooldown" && (
          <div className={`${field} w-28`}>
            <label className="flex flex-col gap-1">
              Cooldown (min)
              <input
                data-testid="alert-cooldown"
                value={cooldown}
                onChange={(e) => setCooldown(e.target.value)}
                inputMode="numeric"
                className={input}
                {...invalid("cooldown")}
              />
            </label>
            {message("cooldown")}
          </div>
        )}
        <div className="sm:pt-5">
          <button
            type="submit"
            data-testid="alert-submit"
            className="h-9 rounded-md bg-brand px-4 text-sm font-semibold text-black"
          >
            Create alert
          </button>
        </div>
      </form>

      <section className="rounded-lg border border-line bg-panel">
        {alerts.length === 0 ? (
          <p className="p-6 text-center text-sm text-muted">No alerts yet.</p>
        ) : (
          <ul>
            {alerts.map((a) => (
              <li
                key={a.id}
                data-testid="alert-row"
                data-state={a.state}
                className="flex flex-wrap items-center gap-2 border-b border-line/60 px-4 py-3 text-sm last:border-0"
              >
                <span
                  className={`rounded px-1.5 py-0.5 text-xs font-medium ${
                    a.state === "active" ? "bg-up-soft text-up" : "bg-down-soft text-down"
                  }`}
                >
                  {a.state === "active" ? "Active" : "Triggered"}
                </span>
                <Link href={`/markets/${a.symbol}`} className="font-semibold hover:text-brand">
                  {a.symbol}
                </Link>
                <span>{describeCondition(a.condition, undefined, a.currency)}</span>
                {a.condition.kind !== "move" && (
                  <ConvertedAmount value={a.condition.price} currency={a.currency} />
                )}
                <span className="text-xs text-muted">· fires {describeRearm(a.rearm)}</span>
                {a.triggeredAt && a.message && (
                  <span className="w-full text-xs text-muted sm:w-auto">
                    {a.message} · {new Date(a.triggeredAt).toLocaleString()}
                  </span>
                )}
                <span className="ml-auto flex gap-3">
                  {a.state === "triggered" && (
                    <button
                      type="button"
                      onClick={() => rearm(a.id)}
                      className="text-muted hover:text-fg"
                    >
                      Re-arm
                    </button>
                  )}
                  <button
                    type="button"
                    onClick={() => remove(a.id)}
                    className="text-muted hover:text-down"
                  >
                    Delete
                  </button>
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="rounded-lg border border-line bg-panel" aria-labelledby="alert-history">
        <div className="flex items-center gap-2 border-b border-line/60 px-4 py-2">
          <h2 id="alert-history" className="text-sm font-semibold">
            Fired alerts
          </h2>
          <span className="text-xs text-muted">last {HISTORY_LIMIT}, kept in this browser</span>
          {history.length > 0 && (
            <button
              type="button"
              onClick={clearHistory}
              className="ml-auto text-xs text-muted hover:text-fg"
            >
              Clear
            </button>
          )}
        </div>
        {history.length === 0 ? (
          <p className="p-4 text-center text-sm text-muted">No alert has fired yet.</p>
        ) : (
          <ol>
            {history.map((h) => (
              <li
                key={`${h.alertId}-${h.at}`}
                data-testid="alert-history-row"
                className="flex flex-wrap gap-x-3 border-b border-line/60 px-4 py-2 text-sm last:border-0"
              >
                <time dateTime={new Date(h.at).toISOString()} className="tabular text-muted">
                  {new Date(h.at).toLocaleString()}
                </time>
                <span className="font-semibold">{h.symbol}</span>
                <span>{h.rule}</span>
                <span className="tabular">at {formatPrice(h.price)}</span>
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
