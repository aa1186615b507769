"use client";

import { useEffect, useState } from "react";
import { formatRelative } from "@/app/_lib/format";

/** Relative time ("3 min ago") against the caller's clock; the exact time is in the tooltip. */
export function RelativeTime({ at, now }: { at: number; now: number }) {
  return (
    <time
      dateTime={new Date(at).toISOString()}
      title={new Date(at).toLocaleString("en-US")}
      suppressHydrationWarning
    >
      {formatRelative(at, now)}
    </time>
  );
}

/** Clock time in the viewer's timezone (rendered after hydration so the server's zone never shows). */
export function ClockTime({ at, withDate = false }: { at: number; withDate?: boolean }) {
  const [text, setText] = useState(() => new Date(at).toISOString().slice(11, 19));
  useEffect(() => {
    const date = new Date(at);
    setText(withDate ? date.toLocaleString("en-US") : date.toLocaleTimeString());
  }, [at, withDate]);
  return (
    <time dateTime={new Date(at).toISOString()} suppressHydrationWarning>
      {text}
    </time>
  );
}

/**
 * A ticking clock that starts at the server's render time, so the first client render matches the
 * server's HTML exactly (a mismatch would make React throw the page away and render it again).
 */
export function useNow(intervalMs: number, renderedAt: number): number {
  const [now, setNow] = useState(renderedAt);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
