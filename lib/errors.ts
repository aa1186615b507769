/**
 * The toolkit's domain errors. Each has a stable `code`; one HTTP layer (`lib/http/errors.ts`) maps
 * them to status codes, so domain code never imports HTTP concerns.
 */
const BRAND = Symbol.for("overtime.error");

export class OvertimeError extends Error {
  readonly [BRAND] = true;

  constructor(
    readonly code: string,
    message: string,
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
