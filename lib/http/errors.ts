import type { z } from "zod";
import { InvalidIdError } from "../errors";

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
  return undefined;
}

/** Turns any thrown value into a JSON response; unknown errors become a 500 without internals. */
export function errorResponse(thrown: unknown): Response {
  const error = fromDomain(thrown) ?? thrown;
  if (error instanceof HttpError) {
    const body = {
      error: { code: error.code, message: error.message, ...(error.issues && { issues: error.issues }) },
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
