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

/**
 * The base of every error Overtime throws. `code` is stable (match on it, or use `is`); the message says
 * what to change.
 */
export class OvertimeError extends Error {
  /** The code of this class's errors; the base class matches every Overtime error. */
  static readonly code: string = "";
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

  /**
   * `OvertimeError.is(e)`: any Overtime error; `InvalidIdError.is(e)`: one with that class's code. By brand
   * and code, not `instanceof`, so it also holds for an error from another copy of the package.
   */
  static is<T extends abstract new (...args: never[]) => OvertimeError>(
    this: T & { readonly code: string },
    error: unknown,
  ): error is InstanceType<T> {
    // biome-ignore lint/complexity/noThisInStatic lint/complexity/noUselessThisAlias: `this` is the class `is` was called on
    const called: T & { readonly code: string } = this;
    if (!(error instanceof Error) || (error as { [BRAND]?: unknown })[BRAND] !== true) return false;
    if (called === (OvertimeError as unknown)) return true;
    // A subclass without a code of its own falls back to instanceof (it would otherwise match its parent's).
    if (!Object.hasOwn(called, "code")) return error instanceof called;
    return (error as OvertimeError).code === called.code;
  }
}

/** An id or name from outside that may not be used (it could steer a URL); `field` names it. */
export class InvalidIdError extends OvertimeError {
  static override readonly code = "invalid_id";

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(InvalidIdError.code, message);
  }
}

/** The same Idempotency-Key came with a different input; `runId` is the run the first request started. */
export class IdempotencyConflictError extends OvertimeError {
  static override readonly code = "idempotency_conflict";

  constructor(
    readonly runId: string,
    message: string,
  ) {
    super(IdempotencyConflictError.code, message);
  }
}

/** A dependency (Redis, QStash) could not be reached or refused the request; the caller may retry. */
export class DependencyUnavailableError extends OvertimeError {
  static override readonly code = "unavailable";

  constructor(
    readonly dependency: "redis" | "qstash",
    message: string,
    readonly retryAfterSeconds = 5,
  ) {
    super(DependencyUnavailableError.code, message);
  }
}

/** A request body larger than what Overtime (or the QStash plan behind it) accepts. */
export class PayloadTooLargeError extends OvertimeError {
  static override readonly code = "payload_too_large";

  constructor(
    message: string,
    readonly limitBytes?: number,
  ) {
    super(PayloadTooLargeError.code, message);
  }
}

/** Input (a body, a query, a workflow's input) that does not match its schema; `issues` name the fields. */
export class ValidationError extends OvertimeError {
  static override readonly code = "invalid_request";

  constructor(message: string, issues: FieldIssue[]) {
    super(ValidationError.code, message, issues);
  }

  static fromZod(error: z.ZodError, what = "request body"): ValidationError {
    const issues = issuesOf(error);
    const summary = issues.map((issue) => `${issue.path || "(root)"}: ${issue.message}`).join("; ");
    return new ValidationError(`Invalid ${what}: ${summary}`, issues);
  }
}

/** What was asked for does not exist (a run, a workflow, an approval). */
export class NotFoundError extends OvertimeError {
  static override readonly code = "not_found";

  constructor(message: string) {
    super(NotFoundError.code, message);
  }
}

/** The request contradicts the current state (cancel a finished run, decide an approval twice). */
export class ConflictError extends OvertimeError {
  static override readonly code = "conflict";

  constructor(message: string) {
    super(ConflictError.code, message);
  }
}

/** The caller did not prove who it is (trigger secret or signature missing, wrong, stale or replayed). */
export class UnauthorizedError extends OvertimeError {
  static override readonly code = "unauthorized";

  constructor(message: string) {
    super(UnauthorizedError.code, message);
  }
}

/** The caller exceeded its request rate; it may retry after `retryAfterSeconds`. */
export class RateLimitedError extends OvertimeError {
  static override readonly code = "rate_limited";

  constructor(readonly retryAfterSeconds: number) {
    super(RateLimitedError.code, `Too many requests; retry in ${retryAfterSeconds} s.`);
  }
}

export function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    // zod 4 opens its default messages with "Invalid input: ", which the summary already says.
    message: issue.message.replace(/^Invalid input: /, ""),
  }));
}
