import { badRequest } from "./errors";

/** Header names keyed the way Go's net/http canonicalizes them: `get-header` → `Get-Header`. */
export type HeaderMap = Record<string, string>;
/** The multi-value shape QStash returns in its API (`Record<string, string[]>`). */
export type HeaderArrays = Record<string, string[]>;

export function canonicalKey(name: string): string {
  return name
    .toLowerCase()
    .split("-")
    .map((part) => (part.length > 0 ? part.charAt(0).toUpperCase() + part.slice(1) : part))
    .join("-");
}

export function canonicalize(headers: Record<string, string | string[] | undefined>): HeaderMap {
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[canonicalKey(name)] = Array.isArray(value) ? value.join(",") : value;
  }
  return out;
}

export function toArrays(headers: HeaderMap): HeaderArrays {
  const out: HeaderArrays = {};
  for (const [name, value] of Object.entries(headers)) out[name] = [value];
  return out;
}

/** Response headers (undici) to the canonical multi-value map. */
export function responseHeaderArrays(headers: Headers): HeaderArrays {
  const out: HeaderArrays = {};
  headers.forEach((value, name) => {
    const key = canonicalKey(name);
    const list = out[key] ?? [];
    if (key === "Set-Cookie") list.push(...headers.getSetCookie());
    else list.push(value);
    out[key] = key === "Set-Cookie" ? [...new Set(list)] : list;
  });
  return out;
}

export function getHeader(headers: HeaderMap, name: string): string | undefined {
  return headers[canonicalKey(name)];
}

/** Headers whose canonical name starts with `prefix`, with the prefix removed (`Upstash-Forward-` → rest). */
export function withPrefix(headers: HeaderMap, prefix: string): HeaderMap {
  const out: HeaderMap = {};
  const canonicalPrefix = canonicalKey(prefix);
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(canonicalPrefix) && name.length > canonicalPrefix.length) {
      out[name.slice(canonicalPrefix.length)] = value;
    }
  }
  return out;
}

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses QStash durations: Go-style `1d10h30m`, `500ms`, `30s`, and bare numbers (seconds; the workflow
 * SDK sends `Upstash-Timeout: 30` for `context.call`). Returns milliseconds.
 */
export function parseDuration(value: string, headerName: string): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const pattern = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(pattern)) {
    const amount = Number(match[1]);
    const unit = DURATION_UNITS_MS[match[2] ?? ""];
    if (unit === undefined) break;
    total += amount * unit;
    consumed += match[0].length;
  }
  if (text.length === 0 || consumed !== text.length) {
    throw badRequest(`invalid ${headerName} header: time: invalid duration "${value}"`);
  }
  return Math.round(total);
}

export function parseNonNegativeInt(value: string, headerName: string): number {
  const text = value.trim();
  if (!/^\d+$/.test(text))
    throw badRequest(`invalid ${headerName} header: "${value}" is not a non-negative integer`);
  return Number(text);
}

export interface FlowControlSettings {
  key: string;
  parallelism?: number;
  rate?: number;
  /** Seconds. */
  period?: number;
}

/** `parallelism=2, rate=10, period=1m` (the SDK joins with ", ", the docs without a space). */
export function parseFlowControl(
  key: string | undefined,
  value: string | undefined,
): FlowControlSettings | undefined {
  if (key === undefined || key === "") {
    if (value) throw badRequest("Upstash-Flow-Control-Value requires Upstash-Flow-Control-Key");
    return undefined;
  }
  if (/\s/.test(key) || key.length > 256) throw badRequest(`invalid flow control key: ${key}`);
  const settings: FlowControlSettings = { key };
  for (const part of (value ?? "").split(",")) {
    const trimmed = part.trim();
    if (trimmed === "") continue;
    const [name, raw] = trimmed.split("=").map((s) => s.trim());
    if (!name || raw === undefined || raw === "") throw badRequest(`invalid flow control value: ${value}`);
    if (name === "parallelism")
      settings.parallelism = parseNonNegativeInt(raw, "Upstash-Flow-Control-Value parallelism");
    else if (name === "rate") settings.rate = parseNonNegativeInt(raw, "Upstash-Flow-Control-Value rate");
    else if (name === "period") {
      const ms = parseDuration(raw, "Upstash-Flow-Control-Value period");
      if (ms < 1000 || ms > 7 * 86_400_000) throw badRequest("flow control period must be between 1s and 1w");
      settings.period = Math.round(ms / 1000);
    } else throw badRequest(`invalid flow control value: unknown key ${name}`);
  }
  if (settings.parallelism === undefined && settings.rate === undefined) {
    throw badRequest("Upstash-Flow-Control-Value must set parallelism or rate");
  }
  return settings;
}

export function flowControlValue(settings: FlowControlSettings): string {
  const parts: string[] = [];
  if (settings.parallelism !== undefined) parts.push(`parallelism=${settings.parallelism}`);
  if (settings.rate !== undefined) parts.push(`rate=${settings.rate}`);
  if (settings.period !== undefined) parts.push(`period=${settings.period}s`);
  return parts.join(", ");
}

export function parseLabels(value: string | undefined): string[] {
  if (value === undefined) return [];
  const labels = value
    .split(",")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  for (const label of labels) {
    if (!/^[a-zA-Z0-9\-_.]+$/.test(label)) throw badRequest(`invalid label: ${label}`);
  }
  return labels;
}

/** Names that never travel from a forwarded header to the destination. */
const HOP_BY_HOP = new Set([
  "Host",
  "Content-Length",
  "Connection",
  "Transfer-Encoding",
  "Keep-Alive",
  "Upgrade",
  "Te",
  "Trailer",
  "Proxy-Connection",
  "Expect",
]);

export function isForwardable(name: string): boolean {
  return !HOP_BY_HOP.has(canonicalKey(name));
}
