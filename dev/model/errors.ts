/** The body OpenAI sends with every error status. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An error the dev model answers with, in OpenAI's error shape and status. */
export class DevModelError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: the request body or a header is malformed; `param` names the field. */
export class InvalidRequestError extends DevModelError {
  constructor(message: string, param: string | null = null, code: string | null = "invalid_value") {
    super(message, 400, "invalid_request_error", param, code);
  }

  static missing(param: string): InvalidRequestError {
    return new InvalidRequestError(
      `Missing required parameter: '${param}'.`,
      param,
      "missing_required_parameter",
    );
  }

  static invalid(param: string, detail: string): InvalidRequestError {
    return new InvalidRequestError(`Invalid value for '${param}': ${detail}`, param, "invalid_value");
  }
}

export class AuthenticationError extends DevModelError {
  constructor(message: string) {
    super(message, 401, "invalid_request_error", null, "invalid_api_key");
  }
}

export class NotFoundError extends DevModelError {
  constructor(method: string, path: string) {
    super(`Invalid URL (${method} ${path})`, 404, "invalid_request_error");
  }
}

export class PayloadTooLargeError extends DevModelError {
  constructor(limitBytes: number) {
    super(`Request body exceeds ${limitBytes} bytes.`, 413, "invalid_request_error");
  }
}

/** 429 with `rate_limit_exceeded`; `limitType` is OpenAI's `type` field: "requests" or "tokens". */
export class RateLimitError extends DevModelError {
  constructor(message: string, limitType: "requests" | "tokens", headers: Record<string, string>) {
    super(message, 429, limitType, null, "rate_limit_exceeded", headers);
  }
}

/** A 5xx (or any status) that a fault rule asked for. */
export class InjectedFaultError extends DevModelError {
  constructor(status: number, headers: Record<string, string>) {
    super(
      `The dev model was told to fail this request with status ${status} (fault injection).`,
      status,
      status === 429 ? "requests" : status >= 500 ? "server_error" : "invalid_request_error",
      null,
      status === 429 ? "rate_limit_exceeded" : "injected_fault",
      headers,
    );
  }
}

export class InternalServerError extends DevModelError {
  constructor() {
    super("The dev model hit an unexpected error; see its log.", 500, "server_error");
  }
}
