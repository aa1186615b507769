/**
 * What went wrong talking to Redis or QStash, told apart so callers can react correctly:
 * - `refused`: QStash answered with an error status (the SDK throws `QstashError` or one of its
 *   rate-limit subclasses, each with the status); 429 and 5xx mean busy, other 4xx mean no;
 * - `unreachable`: the request never got an answer (refused, reset, timed out).
 * Anything else is not a dependency failure (a bug, a validation error) and is left alone.
 */
export type DependencyFailure = { kind: "refused"; status: number } | { kind: "unreachable" };

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

export function dependencyFailure(error: unknown): DependencyFailure | undefined {
  if (error instanceof Error && error.name.startsWith("Qstash")) {
    const status = (error as { status?: unknown }).status;
    if (typeof status === "number") return { kind: "refused", status };
  }
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, name, message, cause } = current as {
      code?: string;
      name?: string;
      message?: string;
      cause?: unknown;
    };
    if ((code && NETWORK_CODES.has(code)) || (name === "TypeError" && message === "fetch failed")) {
      return { kind: "unreachable" };
    }
    current = cause;
  }
  return undefined;
}

/** QStash said it is busy (rate limit) or broken: worth retrying later, like no answer at all. */
export function isTransient(failure: DependencyFailure | undefined): boolean {
  return (
    failure?.kind === "unreachable" ||
    (failure?.kind === "refused" && (failure.status === 429 || failure.status >= 500))
  );
}
