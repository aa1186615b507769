/**
 * Fault injection for the completion endpoints, set for the server (`faults` option, `setFaults`)
 * or for one request with a header:
 *
 *   x-dev-model-fault: latency=500                  wait 500 ms before answering
 *   x-dev-model-fault: status=500                   answer 500 (any 400–599 status)
 *   x-dev-model-fault: status=429;retry-after=2     answer 429 with `retry-after: 2`, `retry-after-ms: 2000`
 *   x-dev-model-fault: status=503;retry-after-ms=150
 *   x-dev-model-fault: truncate=3                   cut the connection after 3 stream events
 *   x-dev-model-fault: event-delay=50               pause 50 ms between stream events
 *
 * Pairs are separated by `;` or `,` and combine (`latency=200;status=500`). Header values override the
 * configured ones for that request.
 */
import { InvalidRequestError } from "./errors";

export interface FaultConfig {
  /** Wait this long before answering. */
  latencyMs?: number;
  /** Answer with this error status (400–599) instead of a completion. */
  status?: number;
  /** With `status`: send `retry-after` (seconds, rounded up) and `retry-after-ms`. */
  retryAfterMs?: number;
  /** Streams: cut the connection after this many events. Non-streaming: cut it before answering. */
  truncateAfterEvents?: number;
  /** Streams: pause between events. */
  eventDelayMs?: number;
  /** Apply to the next N completion requests only (default: to every one until changed). */
  times?: number;
}

export const FAULT_HEADER = "x-dev-model-fault";

const HEADER_KEYS: Record<string, keyof FaultConfig> = {
  latency: "latencyMs",
  status: "status",
  "retry-after-ms": "retryAfterMs",
  truncate: "truncateAfterEvents",
  "event-delay": "eventDelayMs",
};

const KNOWN_KEYS = ["retry-after", ...Object.keys(HEADER_KEYS)].join(", ");

export class InvalidFaultConfigError extends Error {}

/** Holds the configured faults and hands out the ones that apply to each request. */
export class FaultController {
  private config: FaultConfig = {};
  private remaining: number | undefined;

  constructor(initial: FaultConfig = {}) {
    this.set(initial);
  }

  set(config: FaultConfig): void {
    const problem = faultConfigProblem(config);
    if (problem) throw new InvalidFaultConfigError(`Invalid dev model fault config: ${problem}`);
    this.config = { ...config };
    this.remaining = config.times;
  }

  /** The faults for one completion request: the configured ones (counting down `times`), then the header's. */
  forRequest(header: string | string[] | undefined): FaultConfig {
    const fromHeader = parseFaultHeader(Array.isArray(header) ? header.join(";") : header);
    return { ...this.takeConfigured(), ...fromHeader };
  }

  private takeConfigured(): FaultConfig {
    if (this.remaining === undefined) return this.config;
    if (this.remaining <= 0) return {};
    this.remaining -= 1;
    return this.config;
  }
}

export function parseFaultHeader(header: string | undefined): FaultConfig {
  if (header === undefined || header.trim() === "") return {};
  const config: FaultConfig = {};
  for (const pair of header
    .split(/[;,]/)
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [rawKey = "", rawValue = ""] = pair.split("=").map((part) => part.trim());
    const key = rawKey.toLowerCase();
    const value = Number(rawValue);
    if (rawValue === "" || !Number.isFinite(value) || value < 0) {
      throw InvalidRequestError.invalid(
        FAULT_HEADER,
        `"${pair}" needs a non-negative number, e.g. ${key || "latency"}=500.`,
      );
    }
    if (key === "retry-after") config.retryAfterMs = value * 1000;
    else if (HEADER_KEYS[key]) config[HEADER_KEYS[key]] = value;
    else throw InvalidRequestError.invalid(FAULT_HEADER, `unknown key "${rawKey}" (use ${KNOWN_KEYS}).`);
  }
  const problem = faultConfigProblem(config);
  if (problem) throw InvalidRequestError.invalid(FAULT_HEADER, `${problem}.`);
  return config;
}

function faultConfigProblem(config: FaultConfig): string | undefined {
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
      return `${key} must be a non-negative number`;
  }
  const { status } = config;
  if (status !== undefined && !(Number.isInteger(status) && status >= 400 && status <= 599)) {
    return "status must be an HTTP error status (400-599)";
  }
  return undefined;
}

/** `retry-after` / `retry-after-ms` headers for a `retryAfterMs`, as OpenAI sends them. */
export function retryAfterHeaders(retryAfterMs: number | undefined): Record<string, string> {
  if (retryAfterMs === undefined) return {};
  return {
    "retry-after": String(Math.ceil(retryAfterMs / 1000)),
    "retry-after-ms": String(Math.round(retryAfterMs)),
  };
}
