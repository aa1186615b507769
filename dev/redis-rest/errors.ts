/**
 * Errors that end an HTTP request with a JSON `{"error": "..."}` body. Anything else thrown while
 * handling a request becomes a 500 with the same shape.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

export class UnauthorizedError extends HttpError {
  constructor() {
    // The text Upstash's troubleshooting page shows for a missing or wrong token.
    super(401, "WRONGPASS invalid or missing auth token");
  }
}

export class NotFoundError extends HttpError {
  constructor(path: string) {
    super(
      404,
      `Unknown path ${path}: this stand-in serves POST /, /pipeline, /multi-exec, /subscribe/<channel>, ` +
        "/psubscribe/<pattern>, and GET /__dev/health, /__dev/stats (path-style commands such as /get/key are not supported)",
    );
  }
}

export class MethodNotAllowedError extends HttpError {
  constructor(method: string, path: string, allowed: string) {
    super(405, `Method ${method} is not allowed on ${path}; use ${allowed}`, { Allow: allowed });
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(
    limitBytes: number,
    /** True when the rest of the body was not read, so the connection cannot be reused. */
    readonly closeConnection: boolean,
  ) {
    super(413, `ERR max request size exceeded: the request body is larger than ${limitBytes} bytes`);
  }
}

export class BackendUnavailableError extends HttpError {
  constructor(detail: string) {
    super(503, `Redis backend unavailable: ${detail}`);
  }
}

/** The client went away before its request body arrived; there is nobody to answer. */
export class ClientAbortedError extends Error {
  constructor() {
    super("client aborted the request");
    this.name = "ClientAbortedError";
  }
}
