import { createHash } from "node:crypto";

/**
 * An id derived from its inputs (e.g. `call_3f9a…`), so the same request always yields the same ids
 * and no randomness leaks into responses.
 */
export function stableId(prefix: string, ...parts: string[]): string {
  const hash = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  return `${prefix}_${hash.slice(0, 24)}`;
}
