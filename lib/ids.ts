import { createHash } from "node:crypto";
import { InvalidIdError } from "./errors";

/**
 * Rules for ids that reach a QStash API URL (run ids, event ids, schedule ids): 1–256 characters of
 * `A–Z a–z 0–9 _ . : @ ~ = + -`, starting with a letter, digit or `_`. Every one of those characters
 * keeps its literal meaning in a URL path segment, so the SDKs (which join path segments unescaped)
 * can never be made to call another endpoint: no `/`, `\`, `?`, `#`, `%`, whitespace or control
 * characters, and no `.`/`..` segment.
 */
export const URL_SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:@~=+-]{0,255}$/;
export const URL_SAFE_ID_RULE =
  "1-256 characters: letters, digits and _ . : @ ~ = + -, starting with a letter, digit or _";

/**
 * Rules for ids that are only looked up (step names, tool call ids): any text of 1–512 characters
 * without control characters. They never go into a URL as they are.
 */
export const OPAQUE_ID_MAX = 512;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const CONTROL = /[\u0000-\u001f\u007f]/;
export const OPAQUE_ID_RULE = "1-512 characters, no control characters";

export function assertUrlSafeId(field: string, value: unknown): string {
  if (typeof value !== "string" || !URL_SAFE_ID.test(value)) {
    throw new InvalidIdError(field, `Invalid ${field}: ${URL_SAFE_ID_RULE}.`);
  }
  return value;
}

export function assertOpaqueId(field: string, value: unknown): string {
  if (
    typeof value !== "string" ||
    value.length === 0 ||
    value.length > OPAQUE_ID_MAX ||
    CONTROL.test(value)
  ) {
    throw new InvalidIdError(field, `Invalid ${field}: ${OPAQUE_ID_RULE}.`);
  }
  return value;
}

/** An id made from parts, kept within the URL-safe length: a longer one keeps its start plus a hash of all of it. */
export function boundedId(id: string, maxLength = 256): string {
  if (id.length <= maxLength) return id;
  const hash = createHash("sha256").update(id).digest("base64url").slice(0, 16).replace(/-/g, "_");
  return `${id.slice(0, maxLength - 17)}~${hash}`;
}

export function isUrlSafeId(value: string): boolean {
  return URL_SAFE_ID.test(value);
}

/**
 * Makes any text usable inside a URL-safe id: kept as it is when it already is safe and short enough,
 * otherwise its safe characters (others become `-`) plus a hash of the original, so two different
 * texts never map to the same id.
 */
export function toUrlSafePart(text: string, maxLength = 120): string {
  // `~` marks a derived part, so text that has one is derived too: "a/b" and "a-b~<hash>" never meet.
  if (text.length <= maxLength && /^[A-Za-z0-9_.:@=+-]+$/.test(text)) return text;
  const hash = createHash("sha256").update(text).digest("base64url").slice(0, 16).replace(/-/g, "_");
  const readable = text.replace(/[^A-Za-z0-9_.:@~=+-]/g, "-").slice(0, Math.max(0, maxLength - 17));
  return `${readable}~${hash}`;
}
