import type { z } from "zod";
import {
  DependencyUnavailableError,
  IdempotencyConflictError,
  InvalidIdError,
  PayloadTooLargeError,
} from "../errors";

/** One problem with a request field, `path` in dot notation (`items.0.sku`); empty for the whole body. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** An error an HTTP route answers with a fixed status and a JSON body `{ error: { code, message, issues? } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: FieldIssue[],
    readonly headers: Record<string, string> = {},
    /** More fields of the error body (e.g. the run an idempotency conflict refers to). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends HttpError {
  constructor(message: string, issues: FieldIssue[]) {
    super(400, "invalid_request", message, issues);
  }

  static fromZod(error: z.ZodError, what = "request body"): ValidationError {
    const issues = issuesOf(error);
    const summary = issues.map((issue) => `${issue.path || "(root)"}: ${issue.message}`).join("; ");
    return new ValidationError(`Invalid ${what}: ${summary}`, issues);
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super(401, "unauthorized", message, undefined, { "www-authenticate": 'Bearer realm="overtime"' });
  }
}

/** 405 with the allowed methods and what to do instead (Next.js would answer an empty body). */
export function methodNotAllowed(allowed: readonly string[], hint: string): Response {
  return Response.json(
    { error: { code: "method_not_allowed", message: `Use ${allowed.join(" or ")}. ${hint}` } },
    { status: 405, headers: { allow: allowed.join(", ") } },
  );
}

export class NotFoundError extends HttpError {
  constructor(message: string) {
    super(404, "not_found", message);
  }
}

export class ConflictError extends HttpError {
  constructor(message: string) {
    super(409, "conflict", message);
  }
}

export class RateLimitedError extends HttpError {
  constructor(retryAfterSeconds: number) {
    super(429, "rate_limited", `Too many requests; retry in ${retryAfterSeconds} s.`, undefined, {
      "retry-after": String(retryAfterSeconds),
    });
  }
}

export function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    // zod 4 opens its default messages with "Invalid input: ", which the summary already says.
    message: issue.message.replace(/^Invalid input: /, ""),
  }));
}

/** Domain errors with a fixed HTTP meaning; everything else that is not an HttpError is a 500. */
function fromDomain(error: unknown): HttpError | undefined {
  if (InvalidIdError.is(error)) {
    return new ValidationError(error.message, [{ path: error.field, message: error.message }]);
  }
  if (IdempotencyConflictError.is(error)) {
    return new HttpError(
      422,
      error.code,
      error.message,
      [{ path: "idempotency-key", message: error.message }],
      {},
      {
        runId: error.runId,
      },
    );
  }
  if (PayloadTooLargeError.is(error)) return new HttpError(413, error.code, error.message);
  const qstash = fromQStash(error);
  if (qstash) return qstash;
  const unavailable = DependencyUnavailableError.is(error) ? error : unreachable(error);
  if (unavailable) {
    return new HttpError(503, unavailable.code, unavailable.message, undefined, {
      "retry-after": String(unavailable.retryAfterSeconds),
    });
  }
  return undefined;
}

/** QStash's own refusals (the SDKs throw `QstashError` with the HTTP status QStash answered). */
function fromQStash(error: unknown): HttpError | undefined {
  if (!(error instanceof Error) || error.name !== "QstashError") return undefined;
  const status = (error as { status?: number }).status;
  if (status === 413)
    return new HttpError(
      413,
      "payload_too_large",
      "QStash refused the message: it is too large for the plan.",
    );
  if (status === 429 || (status !== undefined && status >= 500)) {
    return new HttpError(503, "unavailable", "QStash is busy or unavailable; try again shortly.", undefined, {
      "retry-after": "5",
    });
  }
  return new HttpError(
    502,
    "upstream_refused",
    `QStash refused the request (status ${status ?? "unknown"}).`,
  );
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EPIPE",
]);

/**
 * A request to Redis or QStash that never got an answer (fetch failed: refused, reset, timed out). Those
 * clients are the only outgoing HTTP a route makes, so such an error means a dependency is down.
 */
function unreachable(error: unknown): DependencyUnavailableError | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const { code, name, message, cause } = current as {
      code?: string;
      name?: string;
      message?: string;
      cause?: unknown;
    };
    const networkFailure =
      (code && (NETWORK_CODES.has(code) || code.startsWith("UND_ERR_"))) ||
      (name === "TypeError" && message === "fetch failed");
    if (networkFailure) {
      return new DependencyUnavailableError(
        "redis",
        "A storage or queue service is not reachable; try again shortly.",
      );
    }
    current = cause;
  }
  return undefined;
}

/** Turns any thrown value into a JSON response; unknown errors become a 500 without internals. */
export function errorResponse(thrown: unknown): Response {
  const error = fromDomain(thrown) ?? thrown;
  if (error instanceof HttpError) {
    const body = {
      error: {
        code: error.code,
        message: error.message,
        ...(error.issues && { issues: error.issues }),
        ...error.details,
      },
    };
    return Response.json(body, { status: error.status, headers: error.headers });
  }
  console.error("[overtime] unexpected error in a route handler:", error);
  return Response.json({ error: { code: "internal", message: "Internal server error." } }, { status: 500 });
}

/** Runs a route body and maps thrown errors to responses, so handlers stay linear. */
export async function respond(body: () => Promise<Response>): Promise<Response> {
  try {
    return await body();
  } catch (error) {
    return errorResponse(error);
  }
}
