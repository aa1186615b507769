import { dependencyFailure, isTransient } from "../dependency-errors";
import {
  DependencyUnavailableError,
  type FieldIssue,
  IdempotencyConflictError,
  InvalidIdError,
  OvertimeError,
  RateLimitedError,
} from "../errors";

// The domain errors, for the routes that throw them directly.
export {
  ConflictError,
  type FieldIssue,
  issuesOf,
  NotFoundError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
} from "../errors";

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

/** 405 with the allowed methods and what to do instead (Next.js would answer an empty body). */
export function methodNotAllowed(allowed: readonly string[], hint?: string): Response {
  return Response.json(
    {
      error: {
        code: "method_not_allowed",
        message: [`Use ${allowed.join(" or ")}.`, hint].filter(Boolean).join(" "),
      },
    },
    { status: 405, headers: { allow: allowed.join(", ") } },
  );
}

/** The one mapping of domain error codes to HTTP statuses. */
const STATUS_BY_CODE: Record<string, number> = {
  invalid_request: 400,
  invalid_id: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  idempotency_conflict: 422,
  rate_limited: 429,
  unavailable: 503,
  misconfigured: 503,
  invalid_cursor: 400,
};

/** Domain errors (and dependency failures) as HTTP errors; anything else is left for the 500 path. */
function fromDomain(error: unknown): HttpError | undefined {
  if (!OvertimeError.is(error)) return fromDependency(error);
  const domain = error;
  const status = STATUS_BY_CODE[domain.code];
  if (status === undefined) return undefined;
  const headers: Record<string, string> = {};
  if (domain.code === "unauthorized") headers["www-authenticate"] = 'Bearer realm="overtime"';
  if (RateLimitedError.is(domain) || DependencyUnavailableError.is(domain)) {
    headers["retry-after"] = String((domain as { retryAfterSeconds: number }).retryAfterSeconds);
  }
  const issues = InvalidIdError.is(domain)
    ? [{ path: domain.field, message: domain.message }]
    : IdempotencyConflictError.is(domain)
      ? [{ path: "idempotency-key", message: domain.message }]
      : domain.issues;
  const code = InvalidIdError.is(domain) ? "invalid_request" : domain.code;
  const details = IdempotencyConflictError.is(domain) ? { runId: domain.runId } : {};
  return new HttpError(status, code, domain.message, issues, headers, details);
}

/** QStash's refusals and unreachable dependencies, by what they mean for the caller. */
function fromDependency(error: unknown): HttpError | undefined {
  const failure = dependencyFailure(error);
  if (!failure) return undefined;
  if (failure.kind === "refused" && failure.status === 413) {
    return new HttpError(
      413,
      "payload_too_large",
      "QStash refused the message: it is too large for the plan.",
    );
  }
  if (isTransient(failure)) {
    return new HttpError(
      503,
      "unavailable",
      "A storage or queue service is busy or unreachable; try again shortly.",
      undefined,
      {
        "retry-after": "5",
      },
    );
  }
  return new HttpError(
    502,
    "upstream_refused",
    `QStash refused the request (status ${(failure as { status: number }).status}).`,
  );
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
