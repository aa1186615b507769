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
