import { useEffect, useRef, type ReactNode } from "react";

interface Props {
  /** The raw value; a change of it flashes the cell. */
  value: string | undefined;
  children: ReactNode;
  className?: string;
}

/** Flashes green or red when `value` moves up or down; the DOM class is toggled directly so a
 * flash costs no extra render. */
export function FlashValue({ value, children, className = "" }: Props) {
  const ref = useRef<HTMLSpanElement>(null);
  const prev = useRef(value);

  useEffect(() => {
    const el = ref.current;
    const before = prev.current;
    prev.current = value;
    if (!el || before === undefined || value === undefined || before === value) return;
    const up = Number(value) > Number(before);
    el.classList.remove("flash-up", "flash-down");
    void el.offsetWidth; // restart the animation
    el.classList.add(up ? "flash-up" : "flash-down");
  }, [value]);

  return (
    <span ref={ref} className={`rounded px-1 ${className}`}>
      {children}
    </span>
  );
}
