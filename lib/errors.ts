/**
 * The toolkit's domain errors. Each has a stable `code`; one HTTP layer (`lib/http/errors.ts`) maps
 * them to status codes, so domain code never imports HTTP concerns.
 */
import type { z } from "zod";

const BRAND = Symbol.for("overtime.error");

/** One problem with an input field, `path` in dot notation (`items.0.sku`); empty for the whole value. */
export interface FieldIssue {
  path: string;
  message: string;
}

export class OvertimeError extends Error {
  readonly [BRAND] = true;

  constructor(
    readonly code: string,
    message: string,
    /** Per-field problems, for errors about an input. */
    readonly issues?: FieldIssue[],
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** True for any Overtime error, also one thrown by another copy of the package (by brand, not class). */
  static is(error: unknown): error is OvertimeError {
    return error instanceof Error && (error as { [BRAND]?: unknown })[BRAND] === true;
  }
}

/** An id or name from outside that may not be used (it could steer a URL); `field` names it. */
export class InvalidIdError extends OvertimeError {
  static readonly code = "invalid_id";

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(InvalidIdError.code, message);
  }

  static override is(error: unknown): error is InvalidIdError {
    return OvertimeError.is(error) && error.code === InvalidIdError.code;
  }
}

/** The same Idempotency-Key came with a different input; `runId` is the run the first request started. */
export class IdempotencyConflictError extends OvertimeError {
  static readonly code = "idempotency_conflict";

  constructor(
    readonly runId: string,
    message: string,
  ) {
    super(IdempotencyConflictError.code, message);
  }

  static override is(error: unknown): error is IdempotencyConflictError {
    return OvertimeError.is(error) && error.code === IdempotencyConflictError.code;
  }
}

/** A dependency (Redis, QStash) could not be reached or refused the request; the caller may retry. */
export class DependencyUnavailableError extends OvertimeError {
  static readonly code = "unavailable";

  constructor(
    readonly dependency: "redis" | "qstash",
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(DependencyUnavailableError.code, message);
  }

  static override is(error: unknown): error is DependencyUnavailableError {
    return OvertimeError.is(error) && error.code === DependencyUnavailableError.code;
  }
}

/** A request body larger than what Overtime (or the QStash plan behind it) accepts. */
export class PayloadTooLargeError extends OvertimeError {
  static readonly code = "payload_too_large";

  constructor(
    message: string,
    readonly limitBytes?: number,
  ) {
    super(PayloadTooLargeError.code, message);
  }

  static override is(error: unknown): error is PayloadTooLargeError {
    return OvertimeError.is(error) && error.code === PayloadTooLargeError.code;
  }
}

/** Input (a body, a query, a workflow's input) that does not match its schema; `issues` name the fields. */
export class ValidationError extends OvertimeError {
  constructor(message: string, issues: FieldIssue[]) {
    super("invalid_request", message, issues);
  }

  static fromZod(error: z.ZodError, what = "request body"): ValidationError {
    const issues = issuesOf(error);
    const summary = issues.map((issue) => `${issue.path || "(root)"}: ${issue.message}`).join("; ");
    return new ValidationError(`Invalid ${what}: ${summary}`, issues);
  }
}

/** What was asked for does not exist (a run, a workflow, an approval). */
export class NotFoundError extends OvertimeError {
  constructor(message: string) {
    super("not_found", message);
  }
}

/** The request contradicts the current state (cancel a finished run, decide an approval twice). */
export class ConflictError extends OvertimeError {
  constructor(message: string) {
    super("conflict", message);
  }
}

/** The caller did not prove who it is (trigger secret or signature missing, wrong, stale or replayed). */
export class UnauthorizedError extends OvertimeError {
  constructor(message: string) {
    super("unauthorized", message);
  }
}

/** The caller exceeded its request rate; it may retry after `retryAfterSeconds`. */
export class RateLimitedError extends OvertimeError {
  constructor(readonly retryAfterSeconds: number) {
    super("rate_limited", `Too many requests; retry in ${retryAfterSeconds} s.`);
  }
}

export function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    // zod 4 opens its default messages with "Invalid input: ", which the summary already says.
    message: issue.message.replace(/^Invalid input: /, ""),
  }));
}
