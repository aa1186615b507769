/**
 * JSON that went through Redis or QStash: @upstash/redis parses JSON replies itself and QStash hands
 * step results back as text, so a stored value arrives either parsed or as its JSON text.
 */

/** The value, parsed if it came as text (text that is not JSON throws: the record is corrupt). */
export function storedJson<T = unknown>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

/** Like `storedJson`, but text that is not JSON is the value itself (a plain string was stored). */
export function storedJsonOrText(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
